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
  Given a :class:`~covsplit.report_cache.ReportCache`, it keeps them across
  aggregates too: a file whose source and data did not change is not
  analysed again, and a report none of whose files changed is not written
  again.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import coverage
from coverage import jsonreport
from coverage.control import override_config
from coverage.data import CoverageData
from coverage.exceptions import DataError
from coverage.jsonreport import JsonReporter
from coverage.plugin import CodeRegion, FileReporter
from coverage.report_core import render_report
from coverage.results import Analysis
from coverage.types import TMorf, TMorfs

from covsplit import fsio, inputs
from covsplit.config import Config
from covsplit.report_cache import ReportCache, file_key, outputs_key, settings_digest


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
        self._cache: ReportCache | None = None
        self._settings = ""
        self._keys: dict[str, str] = {}

    def keep_results(self, cache: ReportCache) -> None:
        """Take each file's results from ``cache`` when their key matches, and keep new ones there.

        Called before any report: coverage.py's report methods put their
        output paths into the configuration, which is part of the key.
        Nothing may change the data afterwards.
        """
        self._init()
        self._cache = cache
        self._settings = settings_digest(self.config, inputs.own_code())

    @property
    def results_cache(self) -> ReportCache | None:
        return self._cache

    def file_key(self, morf: str) -> str:
        """The cache key of a source file: its source, its data, the settings (covsplit.report_cache)."""
        key = self._keys.get(morf)
        if key is None:
            reporter = self._get_file_reporter(morf)
            filename = self._file_mapper(reporter.filename)
            key = self._keys[morf] = file_key(self._settings, self.get_data(), filename, reporter.source())
            if self._cache is not None:
                # Kept for the next run even when no report needed it in this one.
                self._cache.in_use(reporter.filename)
        return key

    def report_key(self, morfs: list[str], *extra: str) -> str:
        return outputs_key((self.file_key(morf) for morf in morfs), *extra)

    def _get_file_reporter(self, morf: TMorf) -> FileReporter:
        if not isinstance(morf, str):
            return super()._get_file_reporter(morf)
        reporter = self._file_reporters.get(morf)
        if reporter is None:
            reporter = self._file_reporters[morf] = super()._get_file_reporter(morf)
            reporter.code_regions = functools.cache(self._regions_of(morf, reporter))  # type: ignore[method-assign]
        return reporter

    def _regions_of(self, morf: str, reporter: FileReporter) -> Callable[[], list[CodeRegion]]:
        parse = reporter.code_regions

        def regions() -> list[CodeRegion]:
            # Asked only by the reports, after keep_results: the key is final by then.
            if self._cache is None:
                return list(parse())
            key = self.file_key(morf)
            kept = self._cache.regions(reporter.filename, key)
            if kept is None:
                kept = list(parse())
                self._cache.keep_regions(reporter.filename, key, kept)
            return kept

        return regions

    def _analyze(self, morf: TMorf, file_reporter: FileReporter | None = None) -> Analysis:
        if not isinstance(morf, str):
            return super()._analyze(morf, file_reporter)
        analysis = self._analyses.get(morf)
        if analysis is None and self._cache is not None:
            filename = self._get_file_reporter(morf).filename
            analysis = self._cache.analysis(filename, self.file_key(morf))
            if analysis is None:
                analysis = super()._analyze(morf, file_reporter)
                self._cache.keep_analysis(filename, self.file_key(morf), analysis)
            self._analyses[morf] = analysis
        if analysis is None:
            analysis = self._analyses[morf] = super()._analyze(morf, file_reporter)
        return analysis

    def json_report(  # type: ignore[override]
        self, morfs: TMorfs = None, outfile: str | None = None, **options: Any
    ) -> float:
        """coverage.py's JSON report, each file's entry taken from the cache when its key matches."""
        if self._cache is None or options:
            return super().json_report(morfs=morfs, outfile=outfile, **options)
        # coverage.py's own json_report, with a reporter that asks the cache first.
        self._prepare_data_for_reporting()
        with override_config(self, json_output=outfile), _one_shot_json():
            return render_report(self.config.json_output, _CachedJsonReporter(self, self._cache), morfs, self._message)


class _OneShotJson:
    """The json module as coverage.jsonreport uses it, but writing with one ``dumps``.

    ``json.dump`` encodes in Python, piece by piece: 40% of the JSON reports'
    time on docutils.  ``json.dumps`` writes the same text (the same encoder
    options) with the C encoder.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(json, name)

    @staticmethod
    def dump(obj: Any, fp: Any, **options: Any) -> None:
        fp.write(json.dumps(obj, **options))


@contextlib.contextmanager
def _one_shot_json() -> Iterator[None]:
    saved = jsonreport.json
    jsonreport.json = _OneShotJson()  # type: ignore[assignment]
    try:
        yield
    finally:
        jsonreport.json = saved


class _CachedJsonReporter(JsonReporter):
    """coverage.py's JsonReporter; a file's entry (its figures, functions and classes) is computed once per key."""

    def __init__(self, cov: Coverage, cache: ReportCache) -> None:
        super().__init__(cov)
        self._cov = cov
        self._cache = cache

    def report_one_file(
        self, coverage_data: CoverageData, analysis: Analysis, file_reporter: FileReporter
    ) -> dict[str, Any]:
        if self.config.json_show_contexts or self.config.report_contexts:
            return super().report_one_file(coverage_data, analysis, file_reporter)
        key = self._cov.file_key(file_reporter.filename)
        entry = self._cache.json_entry(file_reporter.filename, key)
        if entry is None:
            entry = super().report_one_file(coverage_data, analysis, file_reporter)
            self._cache.keep_json_entry(file_reporter.filename, key, entry)
        else:
            # What coverage.py's report_one_file adds to the totals besides its entry.
            self.total += analysis.numbers
        return entry


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
    """JSON and HTML reports of ``files`` (relative to the root; the data must hold every one of them).

    With a cache (:meth:`Coverage.keep_results`), reports whose files' sources
    and data are those they were last written from are left as they are.
    """
    morfs = [str(cfg.root / rel) for rel in files]
    with in_directory(cfg.root):
        _write_reports(
            cov,
            json_path.name,
            [morfs, title],
            [json_path, html / "index.html"],
            lambda: fsio.produce_file(json_path, lambda tmp: cov.json_report(morfs=morfs, outfile=str(tmp))),
            lambda: fsio.produce_dir(
                html,
                lambda tmp: cov.html_report(morfs=morfs, directory=str(tmp), title=title, skip_empty=False),
                update=True,
            ),
        )
    return json.loads(json_path.read_text(encoding="utf-8"))


def _write_reports(
    cov: Coverage, name: str, what: list[Any], outputs: list[Path], *writers: Callable[[], object]
) -> None:
    """Run ``writers`` unless the cache says ``outputs`` already show what they would write."""
    cache = cov.results_cache
    if cache is None:
        for write in writers:
            write()
        return
    morfs, *extra = what
    key = cov.report_key(morfs, *map(str, extra), *(str(path) for path in outputs))
    if cache.current(name, key, outputs):
        return
    cache.rewriting(name)
    for write in writers:
        write()
    cache.written(name, key)


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
        _write_reports(
            cov,
            json_path.name,
            [morfs, "Combined coverage"],
            [json_path, xml_path, html / "index.html"],
            lambda: fsio.produce_file(json_path, lambda tmp: cov.json_report(morfs=morfs, outfile=str(tmp))),
            lambda: fsio.produce_file(xml_path, lambda tmp: cov.xml_report(morfs=morfs, outfile=str(tmp))),
            lambda: fsio.produce_dir(
                html,
                lambda tmp: cov.html_report(
                    morfs=morfs, directory=str(tmp), title="Combined coverage", skip_empty=False
                ),
                update=True,
            ),
        )
    return json.loads(json_path.read_text(encoding="utf-8"))
