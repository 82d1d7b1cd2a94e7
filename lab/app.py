"""Serverless Lab on the web: ``streamlit run lab/app.py``.

A thin router: page config, session state (the built-in default scenario is loaded on first
visit) and the navigation. Each page is its own module in ``lab/pages/``. The first run also
settles the heap for the collector and starts the workers that simulate the compared models
side by side (``web_state.settle_heap``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lab import web_state

st.set_page_config(page_title="Serverless Lab", page_icon=":material/bolt:", layout="wide")
web_state.settle_heap()
web_state.init_state()
web_state.routed()

PAGES = {
    "Explore": [
        st.Page("pages/playground.py", title="Playground", icon=":material/tune:", default=True),
        st.Page("pages/replay.py", title="Animated replay", icon=":material/play_circle:"),
        st.Page("pages/bill.py", title="Bill calculator", icon=":material/payments:"),
        st.Page("pages/sweep.py", title="Sweeps", icon=":material/stacked_line_chart:"),
    ],
    "Scenarios": [
        st.Page("pages/editor.py", title="Scenario editor", icon=":material/edit_note:"),
        st.Page("pages/live.py", title="Live runtime", icon=":material/sensors:"),
    ],
}

if (Path(__file__).parent / "pages" / "lessons.py").exists():  # the lessons page, once it lands
    PAGES["Learn"] = [st.Page("pages/lessons.py", title="Lessons", icon=":material/school:")]

st.navigation(PAGES).run()
