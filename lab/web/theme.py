"""Projector mode: the page's look, set once per rerun by the router.

A classroom projector is often 1024x768 with the sidebar open, seen from the back of the room.
The sidebar stays collapsible (Streamlit's own control); a "Large type" switch in the sidebar,
kept per browser session, scales every text on the page (Streamlit sizes its text in ``rem``)
and the charts' own fonts (``lab.web.controls.show`` reads ``large_type()``).
"""

from __future__ import annotations

import streamlit as st

LARGE_TYPE = "lab.large_type"
"""Session key of the switch (per browser session, never shared between visitors)."""

ROOT_PX = {False: 16, True: 20}
"""The root font size: everything Streamlit draws in ``rem`` follows it."""

_CSS = """
<style>
html {{ font-size: {root}px; }}
/* titles wrap instead of running into each other or off the page */
h1, h2, h3, [data-testid='stMetricLabel'] p {{ overflow-wrap: anywhere; white-space: normal; }}
[data-testid='stMetricLabel'] > div {{ overflow: visible; }}
/* a wide chart scrolls in its own box, never the page */
[data-testid='stVegaLiteChart'] {{ max-width: 100%; overflow-x: auto; }}
[data-testid='stMainBlockContainer'] {{ max-width: 100%; }}
</style>
"""


def large_type() -> bool:
    return bool(st.session_state.get(LARGE_TYPE, False))


def apply_theme() -> None:
    """The sidebar switch and the page's CSS (call once per rerun, before the page runs)."""
    with st.sidebar:
        st.toggle(
            "Large type (projector)",
            key=LARGE_TYPE,
            help="Bigger text everywhere, for a projector seen from the back of a room.",
        )
    st.html(_CSS.format(root=ROOT_PX[large_type()]))
