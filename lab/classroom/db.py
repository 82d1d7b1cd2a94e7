"""Open the class database: resolve its URL, tune SQLite for a class of writers, migrate it.

The URL comes from ``--db``, else ``LAB_DB_URL``, else a SQLite file
``<data folder>/serverless-lab/classes.db`` (``$XDG_DATA_HOME`` or ``~/.local/share`` on Linux),
made on first use. Any SQLAlchemy URL works (``postgresql+psycopg://...`` for a hosted class).

SQLite is made safe for ~60 students writing at once: WAL (readers never block the writer),
``busy_timeout`` (a writer waits for the lock instead of failing) and ``BEGIN IMMEDIATE`` for
every transaction (the write lock is taken at the start, so a read-then-write transaction never
gets ``SQLITE_BUSY`` half way, which the busy handler cannot retry).

The schema is migrated with Alembic (``lab/classroom/migrations``) to ``head`` on the first open
of each URL in a process.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

ENV = "LAB_DB_URL"
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).parent / "migrations"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseError(ValueError):
    """The database URL is unusable (the message says which setting to fix)."""


def data_dir() -> Path:
    """The user's data folder for the lab (the same one lesson progress uses)."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share"))
    return base / "serverless-lab"


def resolve_url(url: str | None = None) -> str:
    """``url``, else ``$LAB_DB_URL``, else the default SQLite file (its folder is created)."""
    chosen = url or os.environ.get(ENV)
    if chosen:
        try:
            make_url(chosen)
        except ArgumentError:
            where = "--db" if url else ENV
            raise DatabaseError(
                f"{where}: {chosen!r} is not a database URL "
                "(e.g. sqlite:///path/classes.db or postgresql+psycopg://user@host/db)"
            ) from None
        return chosen
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'classes.db'}"


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def engine_for(url: str | None = None) -> Engine:
    """The migrated engine for ``url`` (one per URL per process, shared by threads)."""
    resolved = resolve_url(url)
    with _lock:
        engine = _engines.get(resolved)
        if engine is None:
            engine = _make_engine(resolved)
            migrate(engine)
            _engines[resolved] = engine
        return engine


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, pool_size=10, max_overflow=60
        )
        _tune_sqlite(engine)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"the driver for {parsed.drivername!r} is not installed ({exc.name}); "
            "install it, e.g. pip install 'psycopg[binary]' for postgresql+psycopg"
        ) from None


def migrate(engine: Engine) -> None:
    """Bring the schema to Alembic's ``head`` (creates it on a new database)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def sessions(url: str | None = None) -> sessionmaker[Session]:
    """A session factory on the migrated database."""
    return sessionmaker(engine_for(url), expire_on_commit=False)


def forget(url: str | None = None) -> None:
    """Close and drop the cached engine (tests: a 'restart' of the app)."""
    resolved = resolve_url(url)
    with _lock:
        engine = _engines.pop(resolved, None)
    if engine is not None:
        engine.dispose()
