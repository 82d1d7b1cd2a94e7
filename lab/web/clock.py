"""A play/pause time cursor for the animated pages (replay, lessons), kept in session state.

The cursor lives in a session key that no widget writes (``<prefix>.cursor``). While playing it
is a function of wall-clock time since an anchor (``cursor = at + (now - wall) * rate``), so a
slow frame never slows the run down and nothing the browser sends can move it back. The time
slider has a key of its own (``<prefix>.time``): the page copies the cursor into it before
drawing it, and it is disabled while playing, so a value echoed back from the browser by a
tick that overtook the last redraw is ignored (Streamlit skips the callbacks of disabled
widgets). A drag, when paused, reaches the cursor through the slider's ``on_change``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True, slots=True)
class PlayClock:
    prefix: str
    """Session keys: ``<prefix>.playing``, ``.cursor``, ``.anchor`` and the slider's ``.time``."""

    @property
    def playing_key(self) -> str:
        return f"{self.prefix}.playing"

    @property
    def cursor_key(self) -> str:
        return f"{self.prefix}.cursor"

    @property
    def anchor_key(self) -> str:
        return f"{self.prefix}.anchor"

    @property
    def slider_key(self) -> str:
        return f"{self.prefix}.time"

    def setdefault(self, cursor: float) -> None:
        st.session_state.setdefault(self.playing_key, False)
        st.session_state.setdefault(self.cursor_key, cursor)

    @property
    def playing(self) -> bool:
        return bool(st.session_state.get(self.playing_key, False))

    @property
    def cursor(self) -> float:
        return float(st.session_state.get(self.cursor_key, 0.0))

    def reset(self, cursor: float = 0.0) -> None:
        """Stopped at ``cursor`` (another run was picked)."""
        st.session_state[self.playing_key] = False
        self.seek(cursor)

    def seek(self, cursor: float) -> None:
        """Put the cursor at ``cursor``; when playing, the run goes on from there."""
        st.session_state[self.cursor_key] = cursor
        st.session_state.pop(self.anchor_key, None)

    def now(self, rate: float, end: float) -> float:
        """Where the cursor is: moved on by the clock at ``rate`` (simulated seconds per
        second) while playing, never past ``end``. A change of rate goes on from where the
        cursor is, rather than jumping."""
        if not self.playing:
            return min(self.cursor, end)
        wall = time.monotonic()
        anchor = st.session_state.get(self.anchor_key)
        if anchor is None:
            anchor = (self.cursor, wall, rate)
        at, since, was = anchor
        cursor = min(end, at + (wall - since) * was)
        if was != rate:
            anchor = (cursor, wall, rate)
        st.session_state[self.anchor_key] = anchor
        st.session_state[self.cursor_key] = cursor
        return cursor

    def toggle(self, rate: float, end: float) -> None:
        """Play or pause (a button's ``on_click``). Playing from the end starts over."""
        cursor = self.now(rate, end)
        playing = not self.playing
        if playing and cursor >= end:
            cursor = 0.0
        st.session_state[self.playing_key] = playing
        self.seek(cursor)

    def stop_at_end(self, end: float) -> None:
        st.session_state[self.playing_key] = False
        self.seek(end)

    def _dragged(self) -> None:
        self.seek(float(st.session_state[self.slider_key]))

    def slider(self, label: str, end: float, fmt: str) -> float:
        """The time slider at the cursor: disabled while playing, a drag moves the cursor."""
        st.session_state[self.slider_key] = min(self.cursor, end)
        st.slider(
            label,
            0.0,
            end,
            key=self.slider_key,
            format=fmt,
            on_change=self._dragged,
            disabled=self.playing,
        )
        return self.cursor
