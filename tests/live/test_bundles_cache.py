"""Generated bundles and the checked-hash bytecode cache, without starting processes."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from models.live.bundles import PACKAGE_PREFIX, ensure_bundle, package_name, write_chunk
from models.live.pycache import BytecodeStore, hash_pyc, validate_pyc


@pytest.mark.parametrize("size_kb", [250, 550, 800])
def test_bundle_sizes_and_shape(tmp_path: Path, size_kb: int) -> None:
    files = write_chunk(tmp_path, "page", size_kb)
    total = sum(f.stat().st_size for f in files)
    assert abs(total - size_kb * 1024) / (size_kb * 1024) < 0.05  # within 5 % of the target
    assert len(files) > size_kb // 10  # many modules, not one big string
    tree = ast.parse(files[0].read_text())
    kinds = {type(node).__name__ for node in tree.body}
    assert {"ClassDef", "FunctionDef", "Import"} <= kinds


def test_every_generated_chunk_imports_and_renders(tmp_path: Path) -> None:
    """Small chunks too (a module too small for a function once made ``entry`` return None)."""
    sizes = [1, 5, 10, 15, 20, 30, 250]
    src = ensure_bundle(tmp_path, [(f"c{kb}", kb) for kb in sizes])
    code = (
        "import importlib, sys\n"
        f"sys.path.insert(0, {str(src)!r})\n"
        f"for kb in {sizes!r}:\n"
        f"    chunk = importlib.import_module({PACKAGE_PREFIX!r} + f'c{{kb}}')\n"
        "    assert all(isinstance(chunk.render(n), int) for n in range(50)), kb\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


def test_bundle_top_level_code_is_mostly_definitions(tmp_path: Path) -> None:
    """Importing it runs little code (like a real library): a few dataclasses and enums per
    ten modules, generated in step with the size, not by chance."""
    files = write_chunk(tmp_path, "page", 250)
    text = "".join(f.read_text() for f in files)
    modules = len(files) - 1
    assert text.count("@dataclasses.dataclass") == (modules + 1) // 3
    assert text.count("(enum.Enum):") == modules // 3
    assert text.count("\ndef ") + text.count("    def ") > 20 * modules


def test_generation_is_deterministic(tmp_path: Path) -> None:
    a = ensure_bundle(tmp_path / "a", [("home", 40), ("blog", 30)])
    b = ensure_bundle(tmp_path / "b", [("blog", 30), ("home", 40)])
    files_a = sorted(p.relative_to(a) for p in a.rglob("*.py"))
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*.py"))
    assert all((a / p).read_bytes() == (b / p).read_bytes() for p in files_a)
    assert (a / package_name("home") / "__init__.py").exists()


def _compile(source: bytes) -> bytearray:
    return hash_pyc(compile(source, "m.py", "exec"), source)


def test_checked_hash_pyc_is_never_stale() -> None:
    source = b"VALUE = 1\n"
    pyc = bytes(_compile(source))
    assert validate_pyc(pyc, source) is not None
    same_size_edit = b"VALUE = 2\n"
    assert len(same_size_edit) == len(source)
    assert validate_pyc(pyc, same_size_edit) is None  # a miss, so it gets recompiled


@pytest.mark.parametrize("cut", [17, 40, -3])
def test_truncated_or_foreign_pyc_is_a_miss_not_a_crash(cut: int) -> None:
    source = b"def f():\n    return [i * i for i in range(10)]\n"
    pyc = bytes(_compile(source))
    assert validate_pyc(pyc[:cut], source) is None
    assert validate_pyc(b"\0" * 64, source) is None
    timestamp_pyc = importlib.util.MAGIC_NUMBER + b"\0" * 12 + pyc[16:]
    assert validate_pyc(timestamp_pyc, source) is None  # only checked-hash pycs are trusted


def test_merged_store_adds_up_chunks_from_different_instances(tmp_path: Path) -> None:
    src = ensure_bundle(tmp_path / "b", [("home", 20), ("blog", 20)])
    home = next((src / package_name("home")).glob("mod_*.py"))
    blog = next((src / package_name("blog")).glob("mod_*.py"))
    first = BytecodeStore("merged", tmp_path / "cache", src)
    second = BytecodeStore("merged", tmp_path / "cache", src)
    for store, path in ((first, home), (second, blog)):
        data = path.read_bytes()
        assert store.load(str(path), data) is None
        store.store(str(path), data, compile(data, str(path), "exec"))
    third = BytecodeStore("merged", tmp_path / "cache", src)
    assert third.load(str(home), home.read_bytes()) is not None
    assert third.load(str(blog), blog.read_bytes()) is not None
    assert not list((tmp_path / "cache").rglob(".*.pyc*"))  # no temporary files left


def test_per_instance_store_is_replaced_by_the_last_writer(tmp_path: Path) -> None:
    src = ensure_bundle(tmp_path / "b", [("home", 20), ("blog", 20)])
    home = next((src / package_name("home")).glob("mod_*.py"))
    blog = next((src / package_name("blog")).glob("mod_*.py"))
    for path in (home, blog):
        store = BytecodeStore("per_instance", tmp_path / "cache", src)
        data = path.read_bytes()
        store.store(str(path), data, compile(data, str(path), "exec"))
        store.publish()
    reader = BytecodeStore("per_instance", tmp_path / "cache", src)
    assert reader.load(str(blog), blog.read_bytes()) is not None
    assert reader.load(str(home), home.read_bytes()) is None  # the /blog instance replaced it


def test_cache_off_reads_and_writes_nothing(tmp_path: Path) -> None:
    src = ensure_bundle(tmp_path / "b", [("home", 10)])
    path = next((src / package_name("home")).glob("mod_*.py"))
    store = BytecodeStore("off", tmp_path / "cache", src)
    data = path.read_bytes()
    store.store(str(path), data, compile(data, str(path), "exec"))
    assert store.load(str(path), data) is None
    assert not (tmp_path / "cache").exists()
