"""Reports written from the cache equal reports written from scratch, file by file, and unchanged ones are kept.

A tiny real project is measured by real coverage.py runs; the aggregate's
steps (covsplit.coverage_data.combine, the combined and per-worker reports)
run once with covsplit.report_cache and once without, into separate
folders, and the JSON (every file's entry, functions and classes, totals)
and the Cobertura XML must be equal after every change the cache must
notice: none, a source file edited, one worker's data changed, coverage.py's
configuration changed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from covsplit import config, coverage_data
from covsplit.report_cache import ReportCache

SHAPES = """
class Shape:
    def area(self, kind):
        if kind == "square":
            return 4
        return 0


def helper(flag):
    for i in range(3):
        if flag and i:
            return i
    return -1
"""

UTIL = """
def pick(a, b):
    if a:
        return a
    return b


class Box:
    def open(self):
        return [x for x in range(3) if x]
"""

TOML = """
[project]
root = "."
source = ["pkg"]
tests = "tests"

[workers.worker1]
title = "Shapes"
modules = ["pkg.shapes"]
tests = ["tests/test_a.py"]

[workers.worker2]
title = "Utilities"
modules = ["pkg.util", "pkg.never"]
tests = ["tests/test_b.py"]
"""


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "shapes.py").write_text(SHAPES)
    (tmp_path / "pkg" / "util.py").write_text(UTIL)
    (tmp_path / "pkg" / "never.py").write_text("def unused():\n    return 1\n")
    (tmp_path / "tests").mkdir()
    for name in ("test_a.py", "test_b.py"):
        (tmp_path / "tests" / name).write_text("def test_nothing():\n    pass\n")
    (tmp_path / "workers.toml").write_text(TOML)
    return config.load(tmp_path / "workers.toml")


def measure(cfg: config.Config, worker: str, script: str) -> None:
    """A worker's data file, from a real coverage.py run of ``script`` (as pytest-cov writes it: branch data)."""
    (cfg.root / f"run_{worker}.py").write_text(script)
    data_file = cfg.layout.worker(worker).data_file
    data_file.parent.mkdir(parents=True, exist_ok=True)
    data_file.unlink(missing_ok=True)
    command = ["coverage", "run", "--branch", "--source=pkg", f"--data-file={data_file}", f"run_{worker}.py"]
    subprocess.run([sys.executable, "-m", *command], cwd=cfg.root, check=True)


def write_all(cfg: config.Config, out: Path, cached: bool) -> coverage_data.Coverage:
    """The aggregate's reports into ``out``: combined JSON, XML, HTML, and each worker's JSON and HTML."""
    data_files = [cfg.layout.worker(w.name).data_file for w in cfg.workers]
    cov = coverage_data.combine(cfg, data_files, out / ".coverage")
    cache = ReportCache(cfg.layout.report_cache, cfg.layout.report_keys) if cached else None
    if cache is not None:
        cov.keep_results(cache)
    coverage_data.write_combined_reports(cfg, cov, out / "combined.json", out / "coverage.xml", out / "html")
    for worker in cfg.workers:
        coverage_data.write_module_reports(
            cfg, cov, worker.files, out / f"{worker.name}.json", out / f"html_{worker.name}", worker.title
        )
    if cache is not None:
        cache.save()
    return cov


def reports(out: Path) -> dict[str, Any]:
    """Every JSON report (without its time stamp) and the XML (without its time stamp), as written."""
    found: dict[str, Any] = {}
    for path in sorted(out.glob("*.json")):
        data = json.loads(path.read_text())
        data["meta"].pop("timestamp")
        found[path.name] = data
    found["coverage.xml"] = re.sub(r' timestamp="\d+"', "", (out / "coverage.xml").read_text())
    return found


def assert_equal_file_by_file(scratch: dict[str, Any], cached: dict[str, Any]) -> None:
    assert scratch.keys() == cached.keys()
    for name, report in scratch.items():
        if name == "coverage.xml":
            assert cached[name] == report
            continue
        assert cached[name]["files"].keys() == report["files"].keys(), name
        for file, entry in report["files"].items():
            assert cached[name]["files"][file] == entry, (name, file)
        assert cached[name]["totals"] == report["totals"], name
        assert cached[name] == report


def compare(cfg: config.Config, tmp_path: Path, step: str) -> coverage_data.Coverage:
    """Reports from scratch (a new folder, no cache) and from the cache (one folder kept across steps): equal."""
    scratch_dir = tmp_path / f"scratch-{step}"
    write_all(cfg, scratch_dir, cached=False)
    cov = write_all(cfg, tmp_path / "cached", cached=True)
    assert_equal_file_by_file(reports(scratch_dir), reports(tmp_path / "cached"))
    return cov


def parsed(cov: coverage_data.Coverage) -> set[str]:
    """The source files this Coverage parsed (coverage.py's PythonFileReporter parses on first use)."""
    return {Path(name).name for name, reporter in cov._file_reporters.items() if reporter._parser is not None}  # type: ignore[attr-defined]


def mtimes(out: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in out.glob("*.json")} | {
        path.parent.name: path.stat().st_mtime_ns for path in out.glob("*/index.html")
    }


def test_cached_reports_equal_reports_from_scratch_after_every_change(cfg: config.Config, tmp_path: Path) -> None:
    measure(cfg, "worker1", "from pkg import shapes\nshapes.Shape().area('square')\nshapes.helper(True)\n")
    measure(cfg, "worker2", "from pkg import util\nutil.pick(1, 2)\n")

    cold = compare(cfg, tmp_path, "cold")
    assert parsed(cold) >= {"shapes.py", "util.py", "never.py"}

    # Nothing changed: nothing is parsed, no report is written again.
    before = mtimes(tmp_path / "cached")
    warm = compare(cfg, tmp_path, "warm")
    assert parsed(warm) == set()
    assert mtimes(tmp_path / "cached") == before

    # A source file edited: only it is parsed again; the reports that show it are written again.
    (cfg.root / "pkg" / "util.py").write_text(UTIL + "\n\ndef more(x):\n    return x if x else None\n")
    measure(cfg, "worker2", "from pkg import util\nutil.pick(1, 2)\n")
    before = mtimes(tmp_path / "cached")
    edited = compare(cfg, tmp_path, "edited")
    assert parsed(edited) == {"util.py"}
    after = mtimes(tmp_path / "cached")
    assert after["worker1.json"] == before["worker1.json"] and after["html_worker1"] == before["html_worker1"]
    assert after["worker2.json"] != before["worker2.json"] and after["combined.json"] != before["combined.json"]

    # One worker's data changed (the same sources): only the file whose data moved is analysed (so parsed) again,
    # and the other worker's reports are kept.
    measure(cfg, "worker2", "from pkg import util\nutil.pick(0, 2)\nutil.Box().open()\nutil.more(0)\n")
    before = mtimes(tmp_path / "cached")
    moved = compare(cfg, tmp_path, "data")
    assert parsed(moved) == {"util.py"}
    after = mtimes(tmp_path / "cached")
    assert after["worker1.json"] == before["worker1.json"]
    assert after["worker2.json"] != before["worker2.json"]

    # coverage.py's configuration changed (an exclusion): every entry is computed again.
    (cfg.root / ".coveragerc").write_text("[report]\nexclude_also =\n    return -1\n")
    excluded = compare(cfg, tmp_path, "config")
    assert parsed(excluded) >= {"shapes.py", "util.py"}


def test_a_cache_of_another_version_or_an_unreadable_one_is_empty(cfg: config.Config, tmp_path: Path) -> None:
    measure(cfg, "worker1", "from pkg import shapes\nshapes.helper(False)\n")
    measure(cfg, "worker2", "from pkg import util\n")
    for content in ("{not json", json.dumps({"version": 0, "files": {"x": {"key": "k"}}})):
        cfg.layout.report_cache.write_text(content)
        cov = compare(cfg, tmp_path, f"bad-{len(content)}")
        assert parsed(cov) >= {"shapes.py", "util.py"}
        cfg.layout.report_cache.unlink()
        cfg.layout.report_keys.unlink()
