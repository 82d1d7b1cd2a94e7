"""Command palette entries: load a built-in scenario, load a file, switch to the lessons."""

from __future__ import annotations

from functools import cache, partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from models.loading import ScenarioError, builtin_names, builtin_scenario

if TYPE_CHECKING:
    from lab.tui.app import LabApp


@cache
def builtin_title(name: str) -> str:
    """A built-in's title, for the palette (read once per built-in)."""
    try:
        scenario = builtin_scenario(name)
    except ScenarioError:
        return "a built-in scenario"
    return scenario.title or "a built-in scenario"


class ScenarioCommands(Provider):
    """ "scenario: NAME" for each built-in, and "scenario from a file…"."""

    def _commands(self) -> list[tuple[str, str, object]]:
        app: LabApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, str, object]] = [
            (
                "Load scenario from a file…",
                "a .toml, .yaml or .json scenario file",
                app.action_open_file,
            )
        ]
        for name in builtin_names():
            out.append((f"Load scenario: {name}", builtin_title(name), partial(self._load, name)))
        out.append(("Lessons", "guided lessons (predict, run, reveal)", app.action_lessons))
        out.append(("Playground", "the side-by-side playground", app.action_playground))
        return out

    def _load(self, name: str) -> None:
        app: LabApp = self.app  # type: ignore[assignment]
        try:
            scenario = builtin_scenario(name)
        except ScenarioError as exc:
            app.notify(str(exc), title="cannot load", severity="error")
            return
        app.call_later(app.load_scenario, scenario)

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)  # type: ignore[arg-type]
