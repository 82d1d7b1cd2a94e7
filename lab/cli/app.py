"""The ``lab`` Typer app: every command registered here, from its own module.

Command modules import only Typer and ``lab.cli.common`` at import time (never this module),
so there is no import circle and ``lab --help`` loads no simulator, numpy or UI library.
"""

from __future__ import annotations

import typer

from lab.cli.bench import register as register_bench
from lab.cli.classroom import class_app
from lab.cli.common import err, out
from lab.cli.lesson import lesson_app
from lab.cli.live import register as register_live
from lab.cli.moments import moments_command
from lab.cli.replay import replay_command
from lab.cli.sim import register as register_sim
from lab.cli.sweep import sweep_command
from lab.tui.cli import tui

app = typer.Typer(
    name="lab",
    help="Serverless Lab: see how serverless platforms run code, and what they bill.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())


register_sim(app)
register_bench(app)
app.command()(tui)
app.add_typer(lesson_app, name="lesson")
app.add_typer(class_app, name="class")
register_live(app)
app.command("moments")(moments_command)
app.command("replay")(replay_command)
app.command("sweep")(sweep_command)


def main() -> None:
    """The console script ``lab``."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
