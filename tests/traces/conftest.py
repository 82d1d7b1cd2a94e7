"""Small traces written for the tests, and the shipped samples."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_2019 = ROOT / "assets" / "traces" / "azure2019_busy10_fullday"
SAMPLE_2021 = ROOT / "assets" / "traces" / "azure2021_first200" / "invocations.csv"


def write_2019(directory: Path, rows: list[list[int]], durations: list[str] | None = None) -> Path:
    """A 2019-format trace directory with one function per row of per-minute counts."""
    directory.mkdir(parents=True, exist_ok=True)
    minutes = ",".join(str(m) for m in range(1, 1441))
    lines = [f"HashOwner,HashApp,HashFunction,Trigger,{minutes}"]
    durs = [
        "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
        "percentile_Average_1,percentile_Average_25,percentile_Average_50,"
        "percentile_Average_75,percentile_Average_99,percentile_Average_100"
    ]
    for i, counts in enumerate(rows):
        full = (counts + [0] * 1440)[:1440]
        lines.append(f"o{i},app{i:07d},fn{i:07d}x,http," + ",".join(map(str, full)))
        durs.append(
            durations[i]
            if durations
            else f"o{i},app{i:07d},fn{i:07d}x,100,10,50,200,50,55,80,100,120,190,200"
        )
    (directory / "invocations.csv").write_text("\n".join(lines) + "\n")
    (directory / "durations.csv").write_text("\n".join(durs) + "\n")
    return directory


def write_2021(path: Path, rows: list[tuple[str, str, float, float]]) -> Path:
    """A 2021-format file: (app, func, start, duration) rows, written as end timestamps."""
    lines = ["app,func,end_timestamp,duration"]
    lines += [f"{a},{f},{start + d!r},{d!r}" for a, f, start, d in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def regular_trace(tmp_path: Path) -> Path:
    """One function called every 15 minutes for a day (1 s each): idle times of 899 s."""
    rows = [("app", "regular0", k * 900.0 + 0.5, 1.0) for k in range(96)]
    return write_2021(tmp_path / "regular.csv", rows)
