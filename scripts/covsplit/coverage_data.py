"""coverage.py data in, coverage.py reports out: the one place that touches its API.

Two facts shape this module:

* coverage.py reports only files it saw; a module no test imported is
  silently missing.  Every report here first *touches* the files it must
  show (coverage.py's own ``CoverageData.touch_files``), so they appear with
  all their statements missed, counted by coverage.py itself.
* Reports are made from the project root with the target's own coverage
  configuration (exclusions, ``[paths]``), exactly as ``coverage report``
  run there would.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import coverage
from coverage.data import CoverageData
from coverage.exceptions import DataError

from covsplit import fsio
from covsplit.config import Config, Worker
from covsplit.status import WorkerPaths


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


def write_worker_reports(cfg: Config, worker: Worker, paths: WorkerPaths) -> dict[str, Any] | None:
    """Write the worker's JSON and HTML reports for its owned files; return the JSON.

    The worker's data file is left as pytest-cov wrote it: the aggregate
    must see what was measured, not what reporting added.
    """
    owned = [cfg.root / rel for rel in worker.files]
    with in_directory(cfg.root):
        # data_file=None: the target's config, data in memory only.
        cov = coverage.Coverage(data_file=None, config_file=True, branch=True)
        data = cov.get_data()
        if paths.data_file.exists():
            measured = CoverageData(basename=str(paths.data_file))
            measured.read()
            data.update(measured)
        touch(data, owned)
        morfs = [str(path) for path in owned]
        fsio.produce_file(paths.coverage_json, lambda tmp: cov.json_report(morfs=morfs, outfile=str(tmp)))
        fsio.produce_dir(
            paths.html_dir,
            lambda tmp: cov.html_report(
                morfs=morfs, directory=str(tmp), title=f"{worker.name}: {worker.title}", skip_empty=False
            ),
        )
    return json.loads(paths.coverage_json.read_text(encoding="utf-8"))


def combine(cfg: Config, data_files: Iterable[Path], combined: Path) -> coverage.Coverage:
    """Combine worker data files into ``combined`` (originals kept) plus every source file.

    Uses coverage.py's own combine, so the target's ``[paths]`` remapping
    applies when workers ran on different machines.
    """
    combined.unlink(missing_ok=True)
    files = [str(path) for path in data_files]
    with in_directory(cfg.root):
        cov = coverage.Coverage(data_file=str(combined), config_file=True, branch=True)
        if files:
            cov.combine(data_paths=files, keep=True)
        data = cov.get_data()
        touch(data, [cfg.root / rel for rel in cfg.all_files()])
        data.write()
    return cov


def write_combined_reports(cfg: Config, cov: coverage.Coverage, json_path: Path, xml_path: Path, html: Path) -> dict:
    """JSON, Cobertura XML and HTML of the combined data, over every source file."""
    morfs = [str(cfg.root / rel) for rel in cfg.all_files()]
    with in_directory(cfg.root):
        fsio.produce_file(json_path, lambda tmp: cov.json_report(morfs=morfs, outfile=str(tmp)))
        fsio.produce_file(xml_path, lambda tmp: cov.xml_report(morfs=morfs, outfile=str(tmp)))
        fsio.produce_dir(
            html,
            lambda tmp: cov.html_report(morfs=morfs, directory=str(tmp), title="Combined coverage", skip_empty=False),
        )
    return json.loads(json_path.read_text(encoding="utf-8"))
