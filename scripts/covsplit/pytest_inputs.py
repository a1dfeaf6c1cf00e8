"""pytest plugin: what a worker's run executed and imported, so the driver can fingerprint it.

Two sources, because each misses what the other sees: coverage.py's data
names every source file that ran (also in subprocesses pytest-cov
measured), and ``sys.modules`` names every module imported, also those
coverage.py does not measure (test helpers, conftests, packages outside
``project.source``).  Under pytest-xdist the tests run in other
processes: each sends its own ``sys.modules`` back through xdist's
``workeroutput``, and the controller writes the union.

Written once, at the end of the session, after pytest-cov has saved the
data (it does so when the test loop ends).  A run that dies before leaves
no file, and the driver records no inputs: such a worker always runs again.

Loaded with ``-p covsplit.pytest_inputs --covsplit-inputs=PATH`` by the
worker driver; without the option it does nothing.
"""

from __future__ import annotations

import os
import site
import sys
from pathlib import Path

import pytest

from covsplit import digests, fsio

_WORKEROUTPUT_KEY = "covsplit_imported"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--covsplit-inputs", default=None, help="write the files this run executed and imported here")


def _imported() -> list[str]:
    found = set()
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str) and name:
            found.add(os.path.abspath(name))
    return sorted(found)


def _executed() -> list[str]:
    data_file = os.environ.get("COVERAGE_FILE")
    if not data_file or not os.path.exists(data_file):
        return []
    from coverage import CoverageData

    data = CoverageData(basename=data_file)
    data.read()
    # coverage.py also lists the source files no test imported (touched, with no lines, so they show at 0%):
    # their content did not shape this data.
    return sorted(name for name in data.measured_files() if data.lines(name))


class _Inputs:
    def __init__(self, config: pytest.Config, destination: Path) -> None:
        self.config = config
        self.destination = destination
        self.imported: set[str] = set()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: object, error: object) -> None:
        output = getattr(node, "workeroutput", None) or {}
        self.imported.update(output.get(_WORKEROUTPUT_KEY, []))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            # An xdist process: the controller writes the file.
            workeroutput[_WORKEROUTPUT_KEY] = _imported()
            return
        site_packages = [path for path in site.getsitepackages() if os.path.isdir(path)]
        fsio.write_json(
            self.destination,
            {
                "executed": _executed(),
                "imported": sorted(self.imported.union(_imported())),
                "inipath": str(self.config.inipath) if self.config.inipath else None,
                "python": sys.version,
                "prefix": sys.prefix,
                "site_packages": site_packages,
                "installed": digests.installed([Path(path) for path in site_packages]),
            },
        )


def pytest_configure(config: pytest.Config) -> None:
    destination = config.getoption("--covsplit-inputs")
    if destination:
        config.pluginmanager.register(_Inputs(config, Path(destination)), "covsplit-inputs")
