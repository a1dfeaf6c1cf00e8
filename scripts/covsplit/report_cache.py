"""What coverage.py computed for each source file, kept between aggregates.

coverage.py keeps nothing between reports: every aggregate parsed every
source file again and analysed it against the combined data, and worked out
each function's and class's figures for the JSON report, although after a
typical edit only one worker's data moved and nearly every file's source and
data are as they were.  This cache keeps, per file, coverage.py's own
results (its :class:`~coverage.results.Analysis`, the function and class
regions of its source, its JSON report entry) under a key of everything
they depend on:

* the file's source text and its measured lines or arcs in the combined data
  (the data itself, never the data file's bytes: contexts, ordering or a
  re-run that measured the same lines do not count as a change);
* coverage.py's version and its whole configuration, as coverage.py's own
  incremental HTML report fingerprints it;
* covsplit's own code (:func:`covsplit.inputs.own_code`).

A hit hands back exactly what coverage.py computed from equal inputs, so
every figure stays coverage.py's.  Whole reports are kept the same way: a
report whose files all have the keys it was written from is not written
again (:meth:`ReportCache.current`).  The file is rewritten atomically with
only the entries this aggregate used; an unreadable one is an empty cache.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import coverage
from coverage.data import CoverageData
from coverage.misc import Hasher
from coverage.plugin import CodeRegion
from coverage.results import Analysis

from covsplit import digests, fsio

# Bumped when what an entry holds changes, so an older cache is dropped rather than misread.
VERSION = 1

# Analysis's fields and how each is stored; a coverage.py with other fields is not cached at all.
_ANALYSIS_FIELDS = {
    "precision": "value",
    "filename": "value",
    "has_arcs": "value",
    "statements": "lines",
    "excluded": "lines",
    "executed": "lines",
    "arc_possibilities_set": "arcs",
    "arcs_executed_set": "arcs",
    "exit_counts": "counts",
    "no_branch": "lines",
}
SUPPORTED = {field.name for field in dataclasses.fields(Analysis)} == set(_ANALYSIS_FIELDS)


def settings_digest(config: object, own_code: Iterable[Path]) -> str:
    """coverage.py's version and configuration, and covsplit's code: a change to any invalidates every entry."""
    hasher = Hasher()
    hasher.update([str(VERSION), coverage.__version__])
    # The same fingerprint of the configuration coverage.py's HTML report uses to redo every page.
    hasher.update(config)
    hasher.update([digests.hash_file(path) for path in own_code])
    return hasher.hexdigest()


def file_key(settings: str, data: CoverageData, filename: str, source: str) -> str:
    """The key of one file's results: the settings, its source text and its lines or arcs in ``data``.

    What coverage.py's HTML report hashes to decide a page is unchanged
    (``coverage.data.add_data_to_hash``: the arcs, else the lines, and the
    file tracer; never the contexts), hashed here as one string: its Hasher
    walks each arc in Python, a second per thousand files.
    """
    measured: list[Any] = sorted(data.arcs(filename) or []) if data.has_arcs() else sorted(data.lines(filename) or [])
    parts = [settings, filename, str(data.has_arcs()), repr(measured), repr(data.file_tracer(filename)), source]
    return digests.hash_bytes("\0".join(parts).encode("utf-8", "surrogatepass"))


def outputs_key(keys: Iterable[str], *extra: str) -> str:
    """The key of a whole report: its files' keys, in order, and what else it shows (its title)."""
    return digests.hash_bytes("\0".join([*keys, "|", *extra]).encode("utf-8", "surrogatepass"))


def encode_analysis(analysis: Analysis) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    for name, kind in _ANALYSIS_FIELDS.items():
        value = getattr(analysis, name)
        if kind == "lines":
            encoded[name] = sorted(value)
        elif kind == "arcs":
            encoded[name] = sorted([a, b] for a, b in value)
        elif kind == "counts":
            encoded[name] = sorted([line, count] for line, count in value.items())
        else:
            encoded[name] = value
    return encoded


def decode_analysis(encoded: Mapping[str, Any]) -> Analysis:
    """The Analysis, built by coverage.py's own constructor (which derives the figures) from the stored sets."""
    values: dict[str, Any] = {}
    for name, kind in _ANALYSIS_FIELDS.items():
        value = encoded[name]
        if kind == "lines":
            values[name] = {int(line) for line in value}
        elif kind == "arcs":
            values[name] = {(int(a), int(b)) for a, b in value}
        elif kind == "counts":
            values[name] = {int(line): int(count) for line, count in value}
        else:
            values[name] = value
    return Analysis(**values)


def encode_regions(regions: Iterable[CodeRegion]) -> list[dict[str, Any]]:
    return [{"kind": r.kind, "name": r.name, "start": r.start, "lines": sorted(r.lines)} for r in regions]


def decode_regions(encoded: Iterable[Mapping[str, Any]]) -> list[CodeRegion]:
    return [
        CodeRegion(kind=r["kind"], name=r["name"], start=int(r["start"]), lines={int(n) for n in r["lines"]})
        for r in encoded
    ]


class ReportCache:
    """Per-file results and per-report keys, read once and written back with what this run used."""

    def __init__(self, path: Path | None, outputs_path: Path | None = None) -> None:
        self.path = path
        # The reports' keys live apart, small: one is dropped (and that saved) before its report is rewritten.
        self.outputs_path = outputs_path
        # The entries are read on first use: when every report is current, none is.
        self._loaded: dict[str, dict[str, Any]] | None = None
        self._changed = False
        self._outputs: dict[str, str] = {}
        self._used: set[str] = set()
        outputs = fsio.read_json(outputs_path) if outputs_path is not None else None
        if isinstance(outputs, dict) and outputs.get("version") == VERSION and isinstance(outputs.get("reports"), dict):
            self._outputs = {str(k): str(v) for k, v in outputs["reports"].items()}

    @property
    def _entries(self) -> dict[str, dict[str, Any]]:
        if self._loaded is None:
            data = fsio.read_json(self.path) if self.path is not None else None
            files = data.get("files") if isinstance(data, dict) and data.get("version") == VERSION else None
            self._loaded = files if isinstance(files, dict) else {}
        return self._loaded

    def in_use(self, filename: str) -> None:
        """``filename`` is still reported: its entry is saved (an entry no run asks for is dropped)."""
        self._used.add(filename)

    def _entry(self, filename: str, key: str) -> dict[str, Any] | None:
        self._used.add(filename)
        entry = self._entries.get(filename)
        if isinstance(entry, dict) and entry.get("key") == key:
            return entry
        return None

    def _fresh(self, filename: str, key: str) -> dict[str, Any]:
        self._changed = True
        entry = self._entry(filename, key)
        if entry is None:
            entry = self._entries[filename] = {"key": key}
        return entry

    def analysis(self, filename: str, key: str) -> Analysis | None:
        entry = self._entry(filename, key)
        if not SUPPORTED or entry is None or "analysis" not in entry:
            return None
        try:
            return decode_analysis(entry["analysis"])
        except (KeyError, TypeError, ValueError):
            return None

    def keep_analysis(self, filename: str, key: str, analysis: Analysis) -> None:
        if SUPPORTED:
            self._fresh(filename, key)["analysis"] = encode_analysis(analysis)

    def regions(self, filename: str, key: str) -> list[CodeRegion] | None:
        entry = self._entry(filename, key)
        if entry is None or "regions" not in entry:
            return None
        try:
            return decode_regions(entry["regions"])
        except (KeyError, TypeError, ValueError):
            return None

    def keep_regions(self, filename: str, key: str, regions: Iterable[CodeRegion]) -> None:
        self._fresh(filename, key)["regions"] = encode_regions(regions)

    def json_entry(self, filename: str, key: str) -> dict[str, Any] | None:
        entry = self._entry(filename, key)
        value = entry.get("json") if entry is not None else None
        return value if isinstance(value, dict) else None

    def keep_json_entry(self, filename: str, key: str, value: dict[str, Any]) -> None:
        # Through JSON now, so a hit in this run hands out what a hit in the next one will.
        self._fresh(filename, key)["json"] = json.loads(json.dumps(value))

    def current(self, report: str, key: str, outputs: Iterable[Path]) -> bool:
        """Whether ``report`` was last written from ``key`` and its files are all still there."""
        return self._outputs.get(report) == key and all(path.exists() for path in outputs)

    def rewriting(self, report: str) -> None:
        """Forget ``report``'s key before its files change: a run that dies half-way must not leave it current."""
        if self._outputs.pop(report, None) is not None:
            self._save_outputs()

    def written(self, report: str, key: str) -> None:
        self._outputs[report] = key
        self._save_outputs()

    def _save_outputs(self) -> None:
        if self.outputs_path is not None:
            _write(self.outputs_path, {"version": VERSION, "reports": self._outputs})

    def save(self) -> None:
        """Write back the entries this run used (a file gone from the project leaves), if any changed."""
        if self.path is None or self._loaded is None:
            return
        used = {name: entry for name, entry in self._loaded.items() if name in self._used}
        if self._changed or len(used) < len(self._loaded):
            _write(self.path, {"version": VERSION, "files": used})


def _write(path: Path, data: Mapping[str, Any]) -> None:
    try:
        fsio.write_text(path, json.dumps(data, separators=(",", ":")))
    except OSError:
        # A cache that cannot be written costs time next run, never a wrong figure.
        return
