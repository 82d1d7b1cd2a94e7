"""Serverless Lab on the web: ``streamlit run lab/app.py``.

A thin router: page config, session state (the built-in default scenario is loaded on first
visit) and the navigation. The web front end is the ``lab.web`` package; each page is its own
script in ``lab/web/pages/``. (Not ``lab/pages/``: Streamlit serves a ``pages/`` folder beside
the entry point in its old folder mode, with file names for navigation, to a first visit that
lands on a page URL before any session ran the router.) The first run also settles the heap
for the collector and starts the workers that simulate the compared models side by side
(``lab.web.state.settle_heap``).
"""

from __future__ import annotations

import streamlit as st

from lab.web import state
from lab.web.theme import apply_theme

st.set_page_config(
    page_title="Serverless Lab",
    page_icon=":material/bolt:",
    layout="wide",
    initial_sidebar_state="auto",
)
state.settle_heap()
state.init_state()
apply_theme()

PAGES = {
    "Explore": [
        st.Page(
            "web/pages/playground.py", title="Playground", icon=":material/tune:", default=True
        ),
        st.Page("web/pages/replay.py", title="Animated replay", icon=":material/play_circle:"),
        st.Page("web/pages/bill.py", title="Bill calculator", icon=":material/payments:"),
        st.Page("web/pages/sweep.py", title="Sweeps", icon=":material/stacked_line_chart:"),
    ],
    "Scenarios": [
        st.Page("web/pages/editor.py", title="Scenario editor", icon=":material/edit_note:"),
        st.Page("web/pages/live.py", title="Live runtime", icon=":material/sensors:"),
    ],
    "Learn": [
        st.Page("web/pages/lessons.py", title="Lessons", icon=":material/school:"),
        st.Page(
            "web/pages/class_student.py",
            title="Join a class",
            icon=":material/groups:",
            url_path="class",
        ),
        st.Page(
            "web/pages/class_teacher.py",
            title="Teach a class",
            icon=":material/co_present:",
            url_path="teach",
        ),
    ],
}

st.navigation(PAGES).run()
