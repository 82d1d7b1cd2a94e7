"""What every ``lab`` command shares: the consoles, ``fail`` and scenario loading.

Every user mistake (a bad scenario file, an unknown model) ends with a one-paragraph message
on stderr and exit status 2, never a traceback. Nothing heavy is imported here: the scenario
models load on the first call of :func:`load`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from models.scenario import Scenario


class LazyConsole:
    """A rich ``Console`` made on first use (importing rich's console costs ~30 ms of startup)."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        """The real console (for ``Progress(console=...)``)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        self.console.print(*objects, **options)


out = LazyConsole(stderr=False)
err = LazyConsole(stderr=True)

DEFAULT_SCENARIO = "ai-streaming"
"""``models.loading.DEFAULT_SCENARIO``, repeated so ``--help`` needs no scenario models (a test
keeps the two equal)."""

ScenarioArg = Annotated[
    str,
    typer.Argument(help="A scenario file (.toml, .yaml, .json) or a built-in name."),
]


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises the returned exit (status 2)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def load(source: str) -> Scenario:
    """A scenario file or built-in name, or ``fail`` with the loader's message."""
    from models.loading import ScenarioError, load_scenario

    try:
        return load_scenario(source)
    except ScenarioError as exc:
        raise fail(str(exc)) from None


def progress_bar() -> Progress:
    """A transient progress bar on stderr (stdout stays clean for ``--json``)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err.console,
        transient=True,
    )
