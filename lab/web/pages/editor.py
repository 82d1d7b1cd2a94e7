"""Scenario editor: load a built-in or upload a file, edit it, download it.

Whatever is applied here becomes the scenario every other page shows (knobs reset to its
values). A file that is not a valid scenario is refused with the field-level message that
``lab sim`` would print, and the scenario in use stays as it was.
"""

from __future__ import annotations

import streamlit as st

from lab.web import state
from lab.web.scenarios import (
    EXTENSIONS,
    FORMATS,
    MAX_UPLOAD_MB,
    UPLOADER_LIMIT_MB,
    builtin_text,
    scenario_from_upload,
    scenario_text,
)
from models.loading import ScenarioError, builtin_names, builtin_scenario, scenario_from_text

TEXT, FMT, ERROR, SEEN = "editor.text", "editor.fmt", "editor.error", "editor.seen_upload"

st.title("Scenario editor")
base = state.base_scenario()
if TEXT not in st.session_state:
    name = base.name if base.name in builtin_names() else None
    st.session_state[TEXT] = builtin_text(name) if name else scenario_text(base, "yaml")
    st.session_state[FMT] = "toml" if name else "yaml"


def _use(scenario_text_: str, fmt: str, source: str, scenario: object) -> None:
    st.session_state[TEXT] = scenario_text_
    st.session_state[FMT] = fmt
    st.session_state[ERROR] = None
    state.set_base(scenario, source)  # type: ignore[arg-type]


def _upload_changed() -> None:
    """Another file (or none): what was said about the last one no longer applies. (A file
    over the size cap never reaches the app; the uploader itself says why.)"""
    st.session_state[ERROR] = None


left, right = st.columns(2)
with left:
    st.subheader("Built-in")
    names = builtin_names()
    choice = st.selectbox(
        "built-in scenario",
        names,
        index=names.index(base.name) if base.name in names else 0,
        key="editor.builtin",
    )
    if st.button("Load", key="editor.load", icon=":material/upload_file:"):
        _use(builtin_text(choice), "toml", f"built-in {choice}", builtin_scenario(choice))
        st.rerun()


with right:
    st.subheader("Your file")
    uploaded = st.file_uploader(
        f"Upload a scenario ({', '.join('.' + e for e in EXTENSIONS)}, at most {MAX_UPLOAD_MB} MB)",
        type=list(EXTENSIONS),
        key="editor.upload",
        max_upload_size=UPLOADER_LIMIT_MB,
        on_change=_upload_changed,
    )
    if uploaded is not None and st.session_state.get(SEEN) != uploaded.file_id:
        st.session_state[SEEN] = uploaded.file_id
        try:
            scenario, text, fmt = scenario_from_upload(uploaded.name, uploaded.getvalue())
        except ScenarioError as exc:
            st.session_state[ERROR] = str(exc)
        else:
            _use(text, fmt, f"uploaded {uploaded.name}", scenario)

if st.session_state.get(ERROR):
    st.error(st.session_state[ERROR], icon=":material/error:")

base = state.base_scenario()  # again: an upload above may have just replaced it

st.subheader("Edit")
st.caption(
    f"In use: **{base.name}** ({state.base_source()}). Apply checks the text like "
    "`lab sim` checks a file."
)
fmt = st.radio("format", FORMATS, key=FMT, horizontal=True)
text = st.text_area("scenario", key=TEXT, height=420)
buttons = st.container(horizontal=True)
if buttons.button("Apply", key="editor.apply", type="primary", icon=":material/check:"):
    try:
        edited = scenario_from_text(text, fmt, "edited scenario")
    except ScenarioError as exc:
        st.session_state[ERROR] = str(exc)
    else:
        st.session_state[ERROR] = None
        state.set_base(edited, f"edited {edited.name}")
    st.rerun()
buttons.download_button(
    "Download this text",
    text,
    file_name=f"{base.name}.{fmt}",
    mime="text/plain",
    key="editor.download",
    on_click="ignore",
    icon=":material/download:",
)
current = state.current_scenario()
buttons.download_button(
    "Download the playground's scenario (YAML)",
    scenario_text(current, "yaml"),
    file_name=f"{current.name}-what-if.yaml",
    mime="application/yaml",
    key="editor.download_current",
    on_click="ignore",
    icon=":material/download:",
)
with st.expander("About this scenario", expanded=False):
    st.markdown(f"**{base.title or base.name}**")
    st.write(base.description.strip() or "(no description)")
