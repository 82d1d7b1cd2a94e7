"""The ``lab`` command, one module per command group.

Layout (arrows point down only; no subcommand module imports ``lab.cli`` or ``lab.cli.app``):

* ``app.py``: the Typer app; registers every command and holds ``main``;
* ``common.py``: consoles, ``fail`` (one-paragraph error, exit status 2), scenario loading;
* ``sim.py`` (``sim``, ``scenarios``, ``schema``), ``bench.py``, ``lesson.py``, ``live.py``
  (``live``, ``load``, ``calibrate``), ``moments.py``, ``replay.py``, ``sweep.py``; ``lab tui``
  lives in ``lab/tui/cli.py``.

Startup: a command module imports only Typer and ``common`` at import time; numpy, pandas,
pydantic models, Dask, Textual and Streamlit load inside the command that needs them, so
``lab --help`` and ``lab sim --help`` stay fast (``tests/test_cli_startup.py``).
"""

from lab.cli.app import app, main

__all__ = ["app", "main"]
