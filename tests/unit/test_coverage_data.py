"""The aggregate's Coverage analyses each file once, and writes exactly what coverage.py writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import coverage

from covsplit import coverage_data

SOURCE = """
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


def test_reports_equal_plain_coverage_and_each_file_is_parsed_once(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "shapes.py").write_text(SOURCE)
    (tmp_path / "run.py").write_text("from pkg import shapes\nshapes.Shape().area('square')\nshapes.helper(True)\n")
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", "--source=pkg", "run.py"], cwd=tmp_path, check=True
    )
    morfs = [str(tmp_path / "pkg" / "shapes.py"), str(tmp_path / "pkg" / "__init__.py")]

    def reports(cov: coverage.Coverage, name: str) -> dict:
        out = tmp_path / name
        out.mkdir()
        for _ in range(2):  # a second report over the same files, as the aggregate writes several
            cov.json_report(morfs=morfs, outfile=str(out / "r.json"))
        cov.xml_report(morfs=morfs, outfile=str(out / "r.xml"))
        data = json.loads((out / "r.json").read_text())
        data["meta"].pop("timestamp")
        return data

    with coverage_data.in_directory(tmp_path):
        plain = coverage.Coverage(data_file=str(tmp_path / ".coverage"), branch=True)
        plain.load()
        cached = coverage_data.Coverage(data_file=str(tmp_path / ".coverage"), branch=True)
        cached.load()
        assert reports(cached, "cached") == reports(plain, "plain")
        assert set(cached._file_reporters) == set(morfs)
        reporter = cached._file_reporters[morfs[0]]
        assert reporter.code_regions() is reporter.code_regions()  # computed once, then kept
        assert set(cached._analyses) == set(morfs)
        assert cached._analyze(morfs[0]) is cached._analyze(morfs[0])
    xml = [(tmp_path / d / "r.xml").read_text().split("\n", 2)[2] for d in ("cached", "plain")]
    assert xml[0] == xml[1]
