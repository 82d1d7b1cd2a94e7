"""``lab lesson``: list the lessons, check every claim, export a handout for a class.

Exit status of ``lab lesson check``: 0 when every claim passes (skipped ones, needing the live
runtime when it was not asked for, are listed), 1 when a claim fails, 2 when a lesson file is
broken (the message names the file, line and place). With ``--live`` a live measurement that
still fails after its bounded retries fails its claims: exit 1, never a silent skip.

Before its claims, a lesson may print some of its steps (``check_prints``): lesson 3 prints what
it fits, to how many figures, the in-sample error and the out-of-sample misses. Each claim shows
its kind when it is not a check of behaviour (``arithmetic`` or ``definition``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lab.cli.common import err, out

if TYPE_CHECKING:
    from lessons.loader import LessonError

lesson_app = typer.Typer(
    name="lesson",
    help="Guided lessons: list them, check their claims, export a class handout.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_MARK = {"pass": "[green]pass[/]", "fail": "[bold red]FAIL[/]", "skipped": "[yellow]skip[/]"}


def _broken(exc: LessonError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


@lesson_app.command("list")
def list_command() -> None:
    """List the lessons in order."""
    from rich.table import Table

    from lessons.loader import LessonError
    from lessons.runner import list_lessons

    try:
        infos = list_lessons()
    except LessonError as exc:
        raise _broken(exc) from None
    table = Table(box=None)
    table.add_column("#", justify="right", style="bold")
    table.add_column("lesson")
    table.add_column("min", justify="right")
    for info in infos:
        table.add_row(str(info.number), info.title, str(info.minutes))
    out.print(table)
    out.print("[dim]Check one: lab lesson check N · handout: lab lesson export N --html FILE[/]")


@lesson_app.command("check")
def check_command(
    lesson: Annotated[
        str | None, typer.Argument(help="A lesson number, slug or file; all lessons if omitted.")
    ] = None,
    live: Annotated[
        bool, typer.Option(help="Also run the live-runtime measurements (real processes).")
    ] = False,
) -> None:
    """Run every claim of a lesson (or of all lessons) and print pass/fail with the numbers."""
    from lessons.loader import LessonError, lesson_paths
    from lessons.runner import open_lesson

    paths: list[str | Path] = [lesson] if lesson is not None else list(lesson_paths())
    failed = skipped = passed = 0
    broken = False
    for ref in paths:
        try:
            run = open_lesson(ref, live=live or None)
            claims = run.claims
        except LessonError as exc:
            err.print(f"[bold red]broken lesson:[/] {exc}", highlight=False, soft_wrap=True)
            broken = True
            continue
        out.print(f"[bold]{run.number}. {run.title}[/]  [dim]{run.file.path.name}[/]")
        for index in run.lesson.check_prints:
            step = run.steps[index]
            out.print(f"  [bold]{step.title}[/]", highlight=False)
            out.print(step.markdown.strip(), highlight=False, markup=False, soft_wrap=True)
        if not claims:
            out.print("  [dim](no claims)[/]")
        for claim in claims:
            kind = "" if claim.kind == "behaviour" else f" [dim]({claim.kind})[/]"
            out.print(
                f"  {_MARK[claim.status]}  {claim.id}{kind}: {claim.text}\n"
                f"        [dim]{claim.detail}[/]",
                highlight=False,
            )
            passed += claim.status == "pass"
            failed += claim.status == "fail"
            skipped += claim.status == "skipped"
    out.print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if broken:
        raise typer.Exit(code=2)
    if failed:
        raise typer.Exit(code=1)


@lesson_app.command("export")
def export_command(
    lesson: Annotated[str, typer.Argument(help="A lesson number, slug or file.")],
    html: Annotated[Path, typer.Option("--html", help="Write a self-contained HTML handout.")],
    answers: Annotated[
        bool, typer.Option(help="Include the teacher's answer sheet at the end.")
    ] = True,
    live: Annotated[
        bool,
        typer.Option(
            help="Also run the live-runtime measurements (real processes, as `lab lesson check "
            "--live`) and print their numbers; without it the handout says to run them in class."
        ),
    ] = False,
) -> None:
    """Write a class handout: text, charts as images, prediction questions, answer sheet."""
    from lessons.handout import handout_html
    from lessons.loader import LessonError
    from lessons.runner import LessonRun, open_lesson

    try:
        run: LessonRun = open_lesson(lesson, live=live or None)
        page = handout_html(run, answers=answers)
    except LessonError as exc:
        raise _broken(exc) from None
    try:
        html.write_text(page, encoding="utf-8")
    except OSError as exc:
        err.print(f"[bold red]error:[/] cannot write {html}: {exc}", highlight=False)
        raise typer.Exit(code=2) from None
    out.print(f"handout for lesson {run.number} written to {html} ({len(page) // 1024} kB)")
    for name, reason in run.unavailable.items():
        out.print(f"[yellow]not in the handout:[/] {name}: {reason}", highlight=False)
