"""coverage.py data in, coverage.py reports out: the one place that touches its API.

Three facts shape this module:

* coverage.py reports only files it saw; a module no test imported is
  silently missing.  Every report here first *touches* the files it must
  show (coverage.py's own ``CoverageData.touch_files``), so they appear with
  all their statements missed, counted by coverage.py itself.
* Reports are made from the project root with the target's own coverage
  configuration (exclusions, ``[paths]``), exactly as ``coverage report``
  run there would.
* coverage.py parses and analyses every source file anew for each report
  it writes.  The aggregate writes five over each file (combined JSON, XML
  and HTML, the owner's JSON and HTML), so its :class:`Coverage` keeps each
  file's parse and analysis for all of them: each file is analysed once.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import coverage
from coverage.data import CoverageData
from coverage.exceptions import DataError
from coverage.plugin import FileReporter
from coverage.results import Analysis
from coverage.types import TMorf

from covsplit import fsio
from covsplit.config import Config


@contextlib.contextmanager
def in_directory(path: Path) -> Iterator[None]:
    # coverage.py finds its configuration and relativises file names from the cwd.
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def touch(data: CoverageData, files: Iterable[Path]) -> None:
    """Make ``files`` part of ``data`` (as never executed) unless already measured."""
    names = [str(path) for path in files]
    try:
        data.touch_files(names)
    except DataError:
        # An empty data set (pytest died before saving) has no mode yet and
        # refuses touches; an empty arc set picks branch mode.
        data.add_arcs({})
        data.touch_files(names)


class Coverage(coverage.Coverage):
    """coverage.py's Coverage, analysing each source file once for all the reports it writes.

    coverage.py makes a fresh FileReporter (which parses the source) and a
    fresh Analysis per file per report, and its public API offers no cache;
    the aggregate writes five reports over each file.  Keeping the reporters
    (with the function and class regions each report asks them for) is safe
    because a parse depends only on the source and the configuration.
    Keeping the analyses is safe because nothing here changes the data once
    reporting starts: every file a report shows is touched before the first
    one.  coverage is pinned, and a test checks the reports equal an
    uncached Coverage's.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._file_reporters: dict[str, FileReporter] = {}
        self._analyses: dict[str, Analysis] = {}

    def _get_file_reporter(self, morf: TMorf) -> FileReporter:
        if not isinstance(morf, str):
            return super()._get_file_reporter(morf)
        reporter = self._file_reporters.get(morf)
        if reporter is None:
            reporter = self._file_reporters[morf] = super()._get_file_reporter(morf)
            reporter.code_regions = functools.cache(reporter.code_regions)  # type: ignore[method-assign]
        return reporter

    def _analyze(self, morf: TMorf, file_reporter: FileReporter | None = None) -> Analysis:
        if not isinstance(morf, str):
            return super()._analyze(morf, file_reporter)
        analysis = self._analyses.get(morf)
        if analysis is None:
            analysis = self._analyses[morf] = super()._analyze(morf, file_reporter)
        return analysis


def worker_data(cfg: Config, data_file: Path, files: Iterable[str]) -> Coverage:
    """One worker's own measurement plus ``files``, in memory (the data file is left as pytest-cov wrote it)."""
    with in_directory(cfg.root):
        # data_file=None: the target's config, data in memory only.
        cov = Coverage(data_file=None, config_file=True, branch=True)
        data = cov.get_data()
        if data_file.exists():
            measured = CoverageData(basename=str(data_file))
            measured.read()
            data.update(measured)
        touch(data, [cfg.root / rel for rel in files])
    return cov


def write_module_reports(
    cfg: Config, cov: Coverage, files: Iterable[str], json_path: Path, html: Path, title: str
) -> dict:
    """JSON and HTML reports of ``files`` (relative to the root; the data must hold every one of them)."""
    morfs = [str(cfg.root / rel) for rel in files]
    with in_directory(cfg.root):
        fsio.produce_file(json_path, lambda tmp: cov.json_report(morfs=morfs, outfile=str(tmp)))
        fsio.produce_dir(
            html,
            lambda tmp: cov.html_report(morfs=morfs, directory=str(tmp), title=title, skip_empty=False),
            update=True,
        )
    return json.loads(json_path.read_text(encoding="utf-8"))


def combine(cfg: Config, data_files: Iterable[Path], combined: Path, roots: Iterable[str] = ()) -> Coverage:
    """Combine worker data files into ``combined`` (originals kept) plus every source file.

    Uses coverage.py's own combine.  Workers on a CI fleet check the project
    out at other paths (``roots``, from their status files): each is mapped
    onto this checkout with coverage.py's ``[paths]`` mechanism, after the
    project's own ``[paths]`` entries, so no configuration is needed.
    """
    combined.unlink(missing_ok=True)
    files = [str(path) for path in data_files]
    with in_directory(cfg.root):
        cov = Coverage(data_file=str(combined), config_file=True, branch=True)
        foreign = sorted({root for root in roots if Path(root) != cfg.root})
        if foreign:
            paths = dict(cov.config.paths)
            paths["covsplit-checkouts"] = [str(cfg.root), *foreign]
            cov.set_option("paths", paths)
        if files:
            cov.combine(data_paths=files, keep=True)
        data = cov.get_data()
        touch(data, [cfg.root / rel for rel in cfg.all_files()])
        data.write()
    return cov


def write_combined_reports(cfg: Config, cov: Coverage, json_path: Path, xml_path: Path, html: Path) -> dict:
    """JSON, Cobertura XML and HTML of the combined data, over every source file."""
    morfs = [str(cfg.root / rel) for rel in cfg.all_files()]
    with in_directory(cfg.root):
        fsio.produce_file(json_path, lambda tmp: cov.json_report(morfs=morfs, outfile=str(tmp)))
        fsio.produce_file(xml_path, lambda tmp: cov.xml_report(morfs=morfs, outfile=str(tmp)))
        fsio.produce_dir(
            html,
            lambda tmp: cov.html_report(morfs=morfs, directory=str(tmp), title="Combined coverage", skip_empty=False),
            update=True,
        )
    return json.loads(json_path.read_text(encoding="utf-8"))
