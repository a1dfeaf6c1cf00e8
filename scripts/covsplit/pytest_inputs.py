"""pytest plugin: what a worker's run executed and imported, so the driver can fingerprint it.

Two sources, because each misses what the other sees: coverage.py's data
names every source file that ran (also in subprocesses pytest-cov
measured), and ``sys.modules`` names every module imported, also those
coverage.py does not measure (test helpers, conftests, packages outside
``project.source``).  Under pytest-xdist the tests run in other
processes: each sends its own ``sys.modules`` back through xdist's
``workeroutput``, and the controller writes the union.

And an audit hook (``sys.addaudithook``) for the files themselves: every
file inside the project root that this process opens for writing,
creates, renames or replaces (both names), removes, truncates or links is
an output, with the tests that were running (:mod:`covsplit.outputs` says
why); every other file it opens there is read, an input (a data file a
test reads, wherever it lies).  It sees the pytest process and each xdist
process, not the processes a test starts.  It filters by event name first,
then by path prefix: any other event costs one dict lookup.

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
from covsplit.outputs import NO_TEST

_WORKEROUTPUT_KEY = "covsplit_imported"
_WORKEROUTPUT_WRITTEN = "covsplit_written"
_WORKEROUTPUT_READ = "covsplit_read"
# An "open" with any of these flags may change the file.
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# A folder opened to walk it (shutil.rmtree, os.fwalk; by a name relative to another folder) is no file read.
_NOT_READ = getattr(os, "O_DIRECTORY", 0)
# The audit events that change a file, and which of their arguments name the files changed (os.replace raises
# "os.rename"; shutil's copies and moves raise "open" and "os.rename" for what they write).
_WRITE_EVENTS = {"open": (0,), "os.rename": (0, 1), "os.remove": (0,), "os.truncate": (0,), "os.link": (1,),
                 "os.symlink": (1,)}  # fmt: skip
# The dir_fd arguments: a path relative to an open directory (shutil.rmtree's inner removals) is not followed.
_DIR_FDS = {"os.rename": (2, 3), "os.remove": (1,), "os.link": (2, 3), "os.symlink": (2,)}


class _Writes:
    """The files this process wrote inside ``root``, each with the node ids of the tests running then, and read."""

    def __init__(self, root: str) -> None:
        self.prefix = root.rstrip(os.sep) + os.sep
        self.running = NO_TEST
        self.found: dict[str, set[str]] = {}
        # Files read, by the test file whose test was running ("" outside any test: collection, session set-up).
        self.read: dict[str, set[str]] = {}
        self.recording = True

    def audit(self, event: str, args: tuple[object, ...]) -> None:
        positions = _WRITE_EVENTS.get(event)
        if positions is None or not self.recording:
            return
        reading = False
        if event == "open":
            flags = args[2]
            if not isinstance(flags, int) or flags & _NOT_READ:
                return
            reading = not flags & _WRITE_FLAGS
        elif any(args[i] not in (None, -1) for i in _DIR_FDS.get(event, ())):
            return
        for position in positions:
            name = args[position]
            if isinstance(name, int):
                continue  # a file descriptor: opened earlier, by name, and recorded then
            try:
                path = os.path.abspath(os.fsdecode(name))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            # Bytecode (pytest writes its rewritten tests' as "<name>.pyc.<pid>", then renames) is no one's input.
            if not path.startswith(self.prefix) or "__pycache__" in path or path.endswith((".pyc", ".pyo")):
                continue
            key = path[len(self.prefix) :].replace(os.sep, "/")
            if reading:
                self.read.setdefault(self.running.partition("::")[0], set()).add(key)
            else:
                self.found.setdefault(key, set()).add(self.running)

    def as_dict(self) -> dict[str, list[str]]:
        return {path: sorted(nodes) for path, nodes in sorted(self.found.items())}


# An audit hook cannot be removed: one per process, forwarding to the session's recorder.
_RECORDER: _Writes | None = None
_HOOKED = False


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _RECORDER is not None:
        _RECORDER.audit(event, args)


def _record_writes(root: str) -> _Writes:
    global _RECORDER, _HOOKED
    _RECORDER = _Writes(root)
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED = True
    return _RECORDER


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
        # pytest runs from the project root (the driver's cwd): paths are recorded relative to it.
        self.writes = _record_writes(os.getcwd())

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: object, error: object) -> None:
        output = getattr(node, "workeroutput", None) or {}
        self.imported.update(output.get(_WORKEROUTPUT_KEY, []))
        for path, nodes in (output.get(_WORKEROUTPUT_WRITTEN) or {}).items():
            self.writes.found.setdefault(path, set()).update(nodes)
        for file, keys in (output.get(_WORKEROUTPUT_READ) or {}).items():
            self.writes.read.setdefault(file, set()).update(keys)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> object:
        self.writes.running = item.nodeid
        try:
            return (yield)
        finally:
            self.writes.running = NO_TEST

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # What covsplit writes from here on (this file, coverage's data) is no test's output.
        self.writes.recording = False
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            # An xdist process: the controller writes the file.
            workeroutput[_WORKEROUTPUT_KEY] = _imported()
            workeroutput[_WORKEROUTPUT_WRITTEN] = self.writes.as_dict()
            workeroutput[_WORKEROUTPUT_READ] = {file: sorted(keys) for file, keys in self.writes.read.items()}
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
                "written": self.writes.as_dict(),
                "read": sorted(set().union(*self.writes.read.values())),
                "read_by_file": {file: sorted(keys) for file, keys in sorted(self.writes.read.items())},
            },
        )


def pytest_configure(config: pytest.Config) -> None:
    destination = config.getoption("--covsplit-inputs")
    if destination:
        config.pluginmanager.register(_Inputs(config, Path(destination)), "covsplit-inputs")
