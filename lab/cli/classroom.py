"""``lab class``: make a class, list classes, close one, print or save its results.

The database is ``--db URL``, else ``$LAB_DB_URL``, else a SQLite file in the user's data folder
(``lab.classroom.db``). The teacher's key is printed once by ``lab class new``; ``close`` and
``results`` need it (``--key`` or ``$LAB_CLASS_KEY``). Mistakes end with ``error: ...`` naming the
field and exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lab.cli.common import fail, out

if TYPE_CHECKING:
    from lab.classroom.service import Classroom

class_app = typer.Typer(
    name="class",
    help="A class in the lab: join codes, students' predictions, results for the teacher.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="A SQLAlchemy URL (default: $LAB_DB_URL, else a SQLite file)."),
]
KeyOption = Annotated[
    str,
    typer.Option("--key", envvar="LAB_CLASS_KEY", help="The teacher's key (from lab class new)."),
]
DEFAULT_LINK = "http://localhost:8501/class"


def _classroom(db: str | None) -> Classroom:
    from lab.classroom.db import DatabaseError
    from lab.classroom.service import Classroom

    try:
        return Classroom(db)
    except DatabaseError as exc:
        raise fail(str(exc)) from None


@class_app.command("new")
def new_command(
    title: Annotated[str, typer.Option("--title", help="What the students see.")],
    lesson: Annotated[
        list[int], typer.Option("--lesson", "-l", help="A lesson number (repeat for several).")
    ],
    hours: Annotated[float, typer.Option(help="The class expires after this many hours.")] = 4.0,
    anonymous: Annotated[
        bool, typer.Option("--anonymous", help="Students may join without a name.")
    ] = False,
    link: Annotated[str, typer.Option(help="The web lab's class page, for the link.")] = (
        DEFAULT_LINK
    ),
    db: DbOption = None,
) -> None:
    """Make a class: prints its join code, the link and the teacher's key (shown only now)."""
    from lab.classroom.inputs import ClassroomError
    from lessons.loader import LessonError
    from lessons.runner import list_lessons

    try:
        known = {info.number for info in list_lessons()}
    except LessonError as exc:
        raise fail(str(exc)) from None
    unknown = [n for n in lesson if n not in known]
    if unknown:
        raise fail(
            f"--lesson: no lesson {unknown[0]} (lessons: {', '.join(map(str, sorted(known)))})"
        )
    classroom = _classroom(db)
    try:
        made = classroom.create(title, lesson, hours=hours, require_names=not anonymous)
    except ClassroomError as exc:
        raise fail(str(exc)) from None
    info = made.info
    out.print(f"class [bold]{info.title}[/] · lessons {', '.join(map(str, info.lessons))}")
    out.print(f"join code  [bold green]{info.code}[/]")
    out.print(f"link       {link}?code={info.code}", highlight=False)
    out.print(f"teacher key [bold yellow]{made.key}[/]  (shown once: keep it)", highlight=False)
    out.print(f"expires    {info.expires_at:%Y-%m-%d %H:%M} UTC")


@class_app.command("list")
def list_command(db: DbOption = None) -> None:
    """List the classes in the database, newest first (no keys, no answers)."""
    from rich.table import Table

    classes = _classroom(db).classes()
    if not classes:
        out.print("no classes yet: lab class new --title T --lesson 1")
        return
    table = Table(box=None)
    for column in ("code", "title", "lessons", "status", "students", "predictions", "expires"):
        table.add_column(column)
    for info in classes:
        table.add_row(
            info.code,
            info.title,
            ",".join(map(str, info.lessons)),
            info.status,
            str(info.students),
            str(info.predictions),
            f"{info.expires_at:%Y-%m-%d %H:%M}",
        )
    out.print(table)


@class_app.command("close")
def close_command(
    code: Annotated[str, typer.Argument(help="The class's join code.")],
    key: KeyOption = "",
    db: DbOption = None,
) -> None:
    """Close a class: nobody joins or predicts any more; results stay."""
    from lab.classroom.inputs import ClassroomError

    try:
        info = _classroom(db).close(code, key)
    except ClassroomError as exc:
        raise fail(str(exc)) from None
    out.print(f"class {info.code} closed")


@class_app.command("results")
def results_command(
    code: Annotated[str, typer.Argument(help="The class's join code.")],
    key: KeyOption = "",
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write them to this CSV.")] = None,
    db: DbOption = None,
) -> None:
    """Print every student's predictions (and save them as CSV with --csv)."""
    from rich.table import Table

    from lab.classroom.export import write_csv
    from lab.classroom.inputs import ClassroomError

    try:
        rows = _classroom(db).results(code, key)
    except ClassroomError as exc:
        raise fail(str(exc)) from None
    table = Table(box=None)
    for column in ("student", "lesson", "step", "prediction", "at"):
        table.add_column(column)
    for row in rows:
        shown = row.label or f"{row.value:g}"
        table.add_row(row.student, str(row.lesson), str(row.step), shown, f"{row.at:%H:%M:%S}")
    out.print(table)
    out.print(f"{len(rows)} predictions")
    if csv is not None:
        try:
            write_csv(rows, csv)
        except OSError as exc:
            raise fail(f"--csv: cannot write {csv}: {exc.strerror}") from None
        out.print(f"wrote {csv}")
