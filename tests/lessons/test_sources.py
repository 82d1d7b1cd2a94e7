"""Sources in the project and the platform's documented facts (issue 14).

Every cited document is kept in ``lessons/sources/`` with its URL, publisher and date; every
fact in ``assets/facts/vercel.toml`` has the documentation's URL, the page and the date it was
read; the "source says / documentation says" element renders both, and a broken one is a
``LessonError`` naming the field. Nothing here reads outside the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lessons.loader import LessonError
from lessons.runner import open_lesson
from lessons.sources import FACTS_FILE, documents, facts

ROOT = Path(__file__).resolve().parents[2]


def test_every_document_says_what_it_is_and_where_it_is() -> None:
    docs = documents()
    assert {"bytecode-post", "fluid-article", "docs-notes", "live-notes"} <= set(docs)
    for doc in docs.values():
        assert doc.path.is_relative_to(ROOT)
        assert doc.url.startswith("https://") or doc.kind == "project-notes", doc.id
        assert doc.publisher and doc.date and doc.read and doc.excerpts


def test_the_article_is_not_cited_as_vercels_word() -> None:
    article = documents()["fluid-article"]
    assert article.kind == "third-party" and not article.is_platform
    assert "vercel.com" not in article.url and "not Vercel" in article.publisher
    assert documents()["bytecode-post"].url.startswith("https://vercel.com/blog/")


def test_every_fact_has_a_documentation_url_and_the_date_it_was_read() -> None:
    found = facts()
    assert {"max-duration-fluid", "max-duration-no-fluid", "fluid-concurrency-automatic"} <= set(
        found
    )
    for fact in found.values():
        assert fact.url.startswith("https://"), fact.id
        assert fact.read == "2026-12-08" and fact.page_date and fact.quote
    assert FACTS_FILE.is_relative_to(ROOT)


def test_documented_limits_per_plan() -> None:
    fluid, no_fluid = facts()["max-duration-fluid"], facts()["max-duration-no-fluid"]
    assert {p: v["max_s"] for p, v in fluid.values.items()} == {
        "hobby": 300,
        "pro": 800,
        "enterprise": 800,
    }
    assert {p: v["max_s"] for p, v in no_fluid.values.items()} == {
        "hobby": 60,
        "pro": 300,
        "enterprise": 900,
    }


def test_source_vs_docs_renders_both_with_url_and_date() -> None:
    run = open_lesson(9)
    assert run.source_vs_docs, "lesson 9 sets the article's limits beside the documentation"
    for item in run.source_vs_docs:
        step = run.steps[item.step]
        assert item.markdown in step.markdown
        assert "The source says" in item.markdown and "The documentation says" in item.markdown
        assert item.docs_url in item.markdown and "read 2026-12-08" in item.markdown
        assert "third-party" in item.markdown  # the article is labelled as what it is
        assert "{" not in item.lab


def _with(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "lessons" / "09-waituntil-and-max-duration.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "09-broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('fact = "max-duration-no-fluid"', 'fact = "no-such-fact"', "source_vs_docs[0].fact"),
        (
            'says = "Traditional serverless: Maximum 60 seconds',
            'says = "Traditional serverless: Maximum 61 seconds',
            "source_vs_docs[0].says",
        ),
        ('document = "fluid-article"', 'document = "no-such-document"', "sources[0].document"),
    ],
)
def test_a_broken_reference_names_the_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    with pytest.raises(LessonError) as error:
        open_lesson(_with(tmp_path, old, new))
    assert field in str(error.value)
