"""Files the tests write are a run's outputs, never its inputs; and tests of two workers writing one file race.

A suite that writes under its test folders (outputs, snapshots, records,
caches) would otherwise make every worker stale on a tree nobody touched:
dealt, every worker's test paths hold the whole tree, so a file written by
any worker's tests "changed while it ran" for all of them.  The rule:

* a worker's pytest records every file inside the project that its own
  processes wrote: opened for writing, created, renamed or replaced (both
  names), removed, truncated, linked (:mod:`covsplit.pytest_inputs`, an
  audit hook), with the test that was running;
* those are the run's **outputs** (``outputs`` in ``workerN_inputs.json``),
  and a file that the last run of ANY worker wrote is no worker's input:
  worker B's tree holds worker A's outputs.

A file that changed while a worker ran and that no worker's process wrote
(a person's edit, or a process a test started: an audit hook sees only the
Python process it is in) stays "changed while it ran": that worker runs
again.  Safe, and said in the README.

When the last runs of two workers wrote one file, their tests race on it
when the workers run at once (a serial run never does): :func:`races` names
them and the ``keep_together`` group that puts them in one worker.

Standard library only, like :mod:`covsplit.inputs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from covsplit import fsio
from covsplit.config import Config

# The key of a worker's recorded inputs that holds its outputs: {path: [node ids that wrote it]}.
KEY = "outputs"
# Who wrote a file while no test was running (collection, a session fixture's teardown, the plugin itself).
NO_TEST = ""


def recorded(record: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """The outputs one worker's recorded inputs hold (empty for a record without them)."""
    found = record.get(KEY) if isinstance(record, Mapping) else None
    if not isinstance(found, Mapping):
        return {}
    return {str(path): [str(n) for n in nodes] for path, nodes in found.items() if isinstance(nodes, list)}


def by_worker(cfg: Config) -> dict[str, dict[str, list[str]]]:
    """Each worker's outputs, from the record of its last finished run."""
    return {w.name: recorded(fsio.read_json(cfg.layout.worker(w.name).inputs)) for w in cfg.workers}


def known(cfg: Config) -> frozenset[str]:
    """Every project-relative path that the last run of any worker wrote: no worker's input.

    Anything that digests "the test tree" must skip these too, or a suite
    that writes under its tests changes its own digest by running.
    """
    return frozenset(path for outputs in by_worker(cfg).values() for path in outputs)


def test_file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


@dataclass(frozen=True)
class Race:
    """Tests that run in different workers and write the same files."""

    paths: tuple[str, ...]  # the files they all write, project-relative
    tests: tuple[str, ...]  # the test files (or node ids of one file) that write them
    workers: tuple[str, ...]

    @property
    def keep_together(self) -> str:
        """The ``project.keep_together`` line that puts them in one worker, as a person writes it."""
        return "keep_together = [[" + ", ".join(f'"{test}"' for test in self.tests) + "]]"

    def describe(self) -> str:
        names = " and ".join([", ".join(self.tests[:-1]), self.tests[-1]]) if len(self.tests) > 1 else ""
        names = names or f"the tests of {self.tests[0]}"
        files = ", ".join(self.paths[:3]) + (f" and {len(self.paths) - 3} more" if len(self.paths) > 3 else "")
        return (
            f"{names} ({', '.join(self.workers)}) {'both' if len(self.tests) == 2 else 'all'} write {files}: "
            f"they race when run at once; keep them together: {self.keep_together}"
        )


def _group(nodes: Iterable[str]) -> tuple[str, ...]:
    """The keep_together group of these tests: their files; in one file, the class they share, else their node ids."""
    nodes = sorted(set(nodes))
    files = sorted({test_file(n) for n in nodes})
    if len(files) > 1 or not all("::" in n for n in nodes):
        return tuple(files)
    # Dealt, one class's tests spread over every worker (docutils' RecordDependenciesTests): keep the class whole.
    parts = [n.split("::") for n in nodes]
    shared = 0
    while all(len(p) > shared + 1 and p[shared] == parts[0][shared] for p in parts):
        shared += 1
    return ("::".join(parts[0][:shared]),) if shared > 1 else tuple(nodes)


def races(outputs: Mapping[str, Mapping[str, list[str]]]) -> list[Race]:
    """The tests of different workers that wrote one file, merged into disjoint keep_together groups.

    ``outputs`` is :func:`by_worker`.  Writes no test made (collection) are
    left out: no grouping of tests moves them.
    """
    writers: dict[str, dict[str, set[str]]] = {}
    for worker, files in outputs.items():
        for path, nodes in files.items():
            tests = {n for n in nodes if n != NO_TEST}
            if tests:
                writers.setdefault(path, {}).setdefault(worker, set()).update(tests)
    # Union-find over node ids: two races sharing a test are one group, since a test is in one group only.
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    racing = {path: found for path, found in writers.items() if len(found) > 1}
    for found in racing.values():
        nodes = sorted(n for tests in found.values() for n in tests)
        for node in nodes[1:]:
            parent[find(node)] = find(nodes[0])
    groups: dict[str, tuple[set[str], set[str], set[str]]] = {}
    for path, found in sorted(racing.items()):
        writing = {n for tests in found.values() for n in tests}
        paths, members, workers = groups.setdefault(find(min(writing)), (set(), set(), set()))
        paths.add(path)
        members.update(writing)
        workers.update(found)
    # A group of tests of one file names its tests; a group spanning files names the files (keep_together's rule).
    result = []
    for paths, members, workers in groups.values():
        result.append(Race(tuple(sorted(paths)), _group(members), tuple(sorted(workers))))
    return sorted(result, key=lambda race: race.paths)


def as_dict(race: Race) -> dict[str, list[str]]:
    return {"paths": list(race.paths), "tests": list(race.tests), "workers": list(race.workers)}


def from_dict(data: Any) -> Race | None:
    """A race as ``aggregate.json`` holds it; None for anything malformed."""
    if not isinstance(data, Mapping):
        return None
    fields = [data.get(key) for key in ("paths", "tests", "workers")]
    if not all(isinstance(f, list) and f and all(isinstance(x, str) for x in f) for f in fields):
        return None
    return Race(*(tuple(f) for f in fields))  # type: ignore[arg-type]
