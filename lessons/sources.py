"""Sources kept in the project: cited documents (``lessons/sources/*.toml``) and the platform's
documented facts (``assets/facts/vercel.toml``).

A lesson cites a document by id (``[[sources]] document = "bytecode-post"``) and quotes only what
the document's ``excerpts`` hold: short passages copied word for word, with the URL, publisher
and date, so nothing outside the repository is read and a quote can be checked. A *fact* is what
the platform's own documentation says (a limit, a behaviour), with the page, its URL, the page's
date and the date it was read; lessons set a source's statement beside it where they differ
(``[[source_vs_docs]]``) and use its values through the ``platform_facts`` data table.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS_DIR = ROOT / "lessons" / "sources"
FACTS_FILE = ROOT / "assets" / "facts" / "vercel.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceDocument(_Strict):
    """One cited text: what it is, who published it, when, and the passages lessons quote."""

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    kind: Literal["platform-docs", "platform-blog", "third-party", "project-notes"]
    url: str = Field(description="empty only for the project's own notes")
    date: str = Field(min_length=1, description="the document's own date, as far as it says")
    read: str = Field(min_length=1, description="when this project read it")
    note: str = ""
    excerpts: list[str] = Field(min_length=1)

    @property
    def path(self) -> Path:
        return DOCUMENTS_DIR / f"{self.id}.toml"

    @property
    def is_platform(self) -> bool:
        """Is this the platform's own word (its docs or its blog)?"""
        return self.kind.startswith("platform-")

    def contains(self, quote: str) -> bool:
        """Is every piece of ``quote`` (pieces split at ``...``) in one of the excerpts?"""
        pieces = [p for p in re.split(r"\s*(?:\.\.\.|…)\s*", quote) if p]
        text = "\n".join(normal(e) for e in self.excerpts)
        return all(normal(p) in text for p in pieces)


class Fact(_Strict):
    """What the platform's documentation says, with where and when it was read."""

    id: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    page: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")
    page_date: str = Field(min_length=1)
    read: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    quote: str = Field(min_length=1)
    table: list[list[str]] = Field(
        default_factory=list, description="a table the quote introduces, cell by cell, header first"
    )
    also: str = ""
    values: dict[str, Any] = Field(default_factory=dict)

    def table_markdown(self, prefix: str = "") -> str:
        """The quoted table as markdown lines (each starting with ``prefix``), or ``""``."""
        if not self.table:
            return ""
        head, *rows = self.table
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(prefix + line for line in lines)


def normal(text: str) -> str:
    """Text compared loosely: case, curly quotes, dashes and runs of white space alike."""
    text = text.lower().replace("’", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"[‐-―−]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


@cache
def documents() -> dict[str, SourceDocument]:
    """Every document of ``lessons/sources/``, by id (ValueError naming a broken file)."""
    out: dict[str, SourceDocument] = {}
    for path in sorted(DOCUMENTS_DIR.glob("*.toml")):
        try:
            doc = SourceDocument.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None
        if doc.id != path.stem:
            raise ValueError(f"{path}: id {doc.id!r} should be the file's name {path.stem!r}")
        out[doc.id] = doc
    return out


@cache
def facts() -> dict[str, Fact]:
    """Every documented platform fact of ``assets/facts/vercel.toml``, by id."""
    data = tomllib.loads(FACTS_FILE.read_text(encoding="utf-8"))
    out: dict[str, Fact] = {}
    for entry in data.get("facts", []):
        fact = Fact.model_validate(entry)
        if fact.id in out:
            raise ValueError(f"{FACTS_FILE}: fact id {fact.id!r} appears twice")
        out[fact.id] = fact
    return out


def facts_table() -> dict[str, Any]:
    """The facts' values for lesson expressions: ``docs.max_duration_fluid.pro.max_s``."""
    return {fid.replace("-", "_"): dict(f.values) for fid, f in facts().items()}
