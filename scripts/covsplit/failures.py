"""Sort a worker's failures into categories and write ``workerN_failure_analysis.md``.

The hand-made split document summed a worker's 127 failures up as "36
TypeError, 38 AttributeError, ..." and that is the view people act on: a
wave of TypeErrors is a changed signature, a wave of ImportErrors a missing
dependency.  This module produces that view from the JUnit records, with the
identical messages behind each category clustered, so one root cause shows
up as one line with a count rather than as forty tracebacks.

The exception type is read from pytest's machine-readable output only: the
``type`` attribute when a JUnit producer writes one (pytest does not), else
the traceback pytest stores in the element text, else the message attribute.
Console output is never parsed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from covsplit.junit import COLLECTION, ERROR, FAILED, INTERNAL, SETUP, TEARDOWN, TestResult, count_outcomes
from covsplit.markdown_escape import md_cell, md_code
from covsplit.numbers import percent, percent_text

IMPORT_LABEL = "ImportError/ModuleNotFoundError"
DID_NOT_RAISE = "DID NOT RAISE"
TIMEOUT = "Timeout"
XPASS_STRICT = "XPASS(strict)"
UNKNOWN = "Unknown error"
_PHASE_LABELS = {
    SETUP: "Setup error",
    TEARDOWN: "Teardown error",
    COLLECTION: "Collection error",
    INTERNAL: "pytest internal error",
}
# Cluster messages are shown on one line; a longer one is cut, the full text is in the JUnit file.
_MESSAGE_LIMIT = 200

_IDENT = r"[A-Za-z_][\w.]*"
# Long-style tracebacks end each entry with "path:line: ExceptionType" (pytest's ReprFileLocation).
# An "E   " line (the exception message) or a ">" source line is not one, whatever it contains.
_LOCATION_LINE = re.compile(rf"^(?!E\s|>)\S.*:\d+: (?P<type>{_IDENT})$")
# The first "E   " line of a block is "E   Type: message" (or just "E   Type").
_E_LINE = re.compile(r"^E\s{1,10}(?P<text>.*)$")
_TYPE_PREFIX = re.compile(rf"^(?P<type>{_IDENT})(?::\s|:?$)")
_PHASE_WRAPPER = re.compile(r'^failed on (?:setup|teardown) with "(?P<reason>.*)"$', re.DOTALL)
# pytest-timeout: "Timeout (>1.0s) from pytest-timeout." (2.x) or "Timeout >1.0s" (1.x).
_TIMEOUT = re.compile(r"^(?:Failed: )?Timeout \(?>\s*\d")
_DID_NOT_RAISE = re.compile(r"^(?:Failed: )?DID NOT RAISE\b")

# Normalisation for clustering: the parts of a message that differ between otherwise identical failures.
_QUOTED = re.compile(r"""(?<![\w'"])(?:'[^'\n]*'|"[^"\n]*")(?![\w'"])""")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_NAME = re.compile(r"^['\"][A-Za-z_][\w.]*['\"]$")
# Not inside identifiers (int32, test_2); units may follow (1.5s).
_NUMBER = re.compile(r"(?<![\w])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def exception_type(result: TestResult) -> str:
    """The bare name of the exception a failed or errored result ended with, or "" if none is recorded.

    Dotted names (``calc.errors.QuotaError``) are cut to the class name, which
    is what a reader recognises and what pytest prints in its tracebacks.
    """
    if result.exc_type and not result.exc_type.startswith("pytest."):
        return _last_name(result.exc_type)
    found = _type_from_details(result.details)
    if found:
        return found
    message = _unwrap(result.message)
    match = _TYPE_PREFIX.match(message.splitlines()[0] if message else "")
    if match and not message.startswith("assert "):
        return _last_name(match.group("type"))
    if message.startswith("assert ") or message == "assert":
        # A rewritten bare ``assert x == y``: pytest's message is the explanation, without the type.
        return "AssertionError"
    return ""


def _last_name(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


def _type_from_details(details: str) -> str:
    lines = details.splitlines()
    for line in reversed(lines):
        match = _LOCATION_LINE.match(line)
        if match:
            return _last_name(match.group("type"))
    first = _last_e_block(lines)
    if first is not None:
        match = _TYPE_PREFIX.match(first)
        if match:
            return _last_name(match.group("type"))
    # With --tb=native neither form is there; the message attribute then names the type.
    return ""


def _last_e_block(lines: list[str]) -> str | None:
    """Text of the first line of the last run of "E   " lines: the final exception's own line."""
    first = None
    previous_was_e = False
    for line in lines:
        match = _E_LINE.match(line)
        if match and not previous_was_e:
            first = match.group("text")
        previous_was_e = bool(match)
    return first


def _unwrap(message: str) -> str:
    """The reason inside pytest's 'failed on setup with "..."' wrapper."""
    match = _PHASE_WRAPPER.match(message)
    return match.group("reason") if match else message


def failure_text(result: TestResult) -> str:
    """The one line that says what went wrong: the exception line pytest reported.

    A collection error's JUnit message is only "collection failure", and a
    setup error's may start with where the fixture is; the reason is then the
    exception line ("E   ...") of the stored traceback.
    """
    message = _unwrap(result.message)
    # A fixture that cannot be set up reports where it is ("file ..., line 1") before what is wrong.
    located = message.startswith(("file ", 'failed on setup with "', 'failed on teardown with "'))
    if result.phase in (COLLECTION, INTERNAL) or not message.strip() or located:
        first = _last_e_block(result.details.splitlines())
        if first:
            return first.strip()
        tail = [line for line in result.details.splitlines() if line.strip()]
        return tail[-1].strip() if tail else message.strip()
    return message.strip().splitlines()[0]


def _base_category(result: TestResult) -> str:
    text = failure_text(result)
    if result.message.startswith("[XPASS(strict)]"):
        return XPASS_STRICT
    if _DID_NOT_RAISE.match(text):
        return DID_NOT_RAISE
    if _TIMEOUT.match(text):
        return TIMEOUT
    name = exception_type(result)
    if name in ("ImportError", "ModuleNotFoundError"):
        return IMPORT_LABEL
    if name:
        return name
    # No exception type recorded (pytest's own "fixture 'x' not found"): the message says what is wrong.
    return _shorten(text) if text else UNKNOWN


def classify(result: TestResult) -> str:
    """The category of a failed or errored result.

    Failures in the test itself are named by exception type (``TypeError``) or
    by what pytest reports (``DID NOT RAISE``, ``Timeout``, ``XPASS(strict)``).
    Errors outside the test body say where they happened, so a reader sees a
    broken fixture or an unimportable file at once: ``Setup error: ValueError``,
    ``Teardown error: RuntimeError``,
    ``Collection error: ImportError/ModuleNotFoundError``.
    """
    base = _base_category(result)
    label = _PHASE_LABELS.get(result.phase)
    return f"{label}: {base}" if label else base


def _failing(results: Iterable[TestResult]) -> list[TestResult]:
    return [result for result in results if result.outcome in (FAILED, ERROR)]


def _ordered(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def categories(results: Iterable[TestResult]) -> dict[str, int]:
    """Category -> count over failed and errored results, most common first, then by name."""
    return dict(_ordered(Counter(classify(result) for result in _failing(results))))


def category_files(results: Iterable[TestResult]) -> dict[str, list[str]]:
    """Category -> the test files its failures are in, categories in :func:`categories` order."""
    files: dict[str, set[str]] = {}
    for result in _failing(results):
        files.setdefault(classify(result), set()).add(result.file or "(no file)")
    order = categories(results)
    return {category: sorted(files[category]) for category in order}


def normalise(message: str) -> str:
    """``message`` with the parts that vary between instances of one failure replaced by placeholders.

    Quoted values become ``<str>``, hex addresses ``<hex>`` and numbers
    ``<num>``, so "expected 'a b' got 3" and "expected 'c d' got 4" fall into
    one cluster.  Quoted names stay: ``'NoneType' object has no attribute 'foo'``
    and ``... 'bar'``, or ``name 'patch' is not defined``, are different causes.
    """
    text = _QUOTED.sub(_mask_quoted, message)
    text = _HEX.sub("<hex>", text)
    return _NUMBER.sub("<num>", text)


def _mask_quoted(match: re.Match[str]) -> str:
    # An identifier or dotted name tells one failure from another; a quoted value does not.
    return match.group(0) if _NAME.match(match.group(0)) else "<str>"


def clusters(results: Iterable[TestResult]) -> list[tuple[str, list[str]]]:
    """(normalised message, node ids) for the given results, largest cluster first, then by message."""
    grouped: dict[str, list[str]] = {}
    for result in results:
        grouped.setdefault(normalise(failure_text(result)), []).append(result.nodeid)
    return sorted(((key, sorted(ids)) for key, ids in grouped.items()), key=lambda item: (-len(item[1]), item[0]))


def _shorten(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def render_failure_analysis(worker: str, title: str, results: Sequence[TestResult]) -> str:
    """The failure analysis document: totals, categories, message clusters and a per-file view."""
    counts = count_outcomes(results)
    failing = _failing(results)
    lines = [f"# {worker} failure analysis: {title}", ""]
    lines += [
        "| Tests | Passed | Failed | Errors | Skipped | Pass rate |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {counts['tests']} | {counts['passed']} | {counts['failed']} | {counts['errors']} | {counts['skipped']} "
        f"| {percent_text(percent(counts['passed'], counts['tests']), '—')} |",
        "",
        "Pass rate is passed / tests.  A test that fails and then errors in teardown counts as one test, "
        "once in Failed and once in Errors, as pytest counts it; xfail counts as skipped, xpass as passed.",
        "",
    ]
    if not counts["tests"]:
        lines.append("No test results were recorded, so there is nothing to analyse.")
        return "\n".join(lines) + "\n"
    if not failing:
        lines.append(f"No failures or errors: all {counts['tests']} tests passed or were skipped.")
        return "\n".join(lines) + "\n"

    by_category: dict[str, list[TestResult]] = {}
    for result in failing:
        by_category.setdefault(classify(result), []).append(result)
    ordered = _ordered(Counter({name: len(items) for name, items in by_category.items()}))
    total = len(failing)

    lines += [
        "## Failure categories",
        "",
        f"{total} failed or errored results.  Setup, teardown and collection errors are labelled as such: "
        "they are broken fixtures or unimportable files, not failing assertions.",
        "",
        "| # | Category | Count | Share of failures |",
        "| ---: | --- | ---: | ---: |",
    ]
    for index, (name, count) in enumerate(ordered, start=1):
        lines.append(f"| {index} | {md_cell(name)} | {count} | {percent_text(percent(count, total), '—')} |")
    lines.append("")

    lines += ["## Messages by category", ""]
    lines.append(
        "Identical messages are grouped after replacing numbers (`<num>`), hex addresses (`<hex>`) "
        "and quoted values that are not names (`<str>`) with placeholders; quoted names tell causes apart and stay."
    )
    lines.append("")
    for index, (name, count) in enumerate(ordered, start=1):
        lines.append(f"### {index}. {name} ({count}, {percent_text(percent(count, total), '—')})")
        lines.append("")
        for message, nodeids in clusters(by_category[name]):
            lines.append(f"- **{len(nodeids)} ×** {md_code(_shorten(message))}")
            lines.extend(f"  - {md_code(nodeid)}" for nodeid in nodeids)
        lines.append("")

    lines += [
        "## By test file",
        "",
        "| Test file | Tests | Failed | Errors | Top category |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    files: dict[str, list[TestResult]] = {}
    for result in results:
        files.setdefault(result.file, []).append(result)
    rows = []
    for file, file_results in files.items():
        file_counts = count_outcomes(file_results)
        top = categories(file_results)
        top_text = "—"
        if top:
            name, count = next(iter(top.items()))
            top_text = f"{md_cell(name)} ({count})"
        rows.append((-(file_counts["failed"] + file_counts["errors"]), file, file_counts, top_text))
    for _key, file, file_counts, top_text in sorted(rows):
        lines.append(
            f"| {md_cell(md_code(file or '(none)'))} | {file_counts['tests']} | {file_counts['failed']} "
            f"| {file_counts['errors']} | {top_text} |"
        )
    return "\n".join(lines) + "\n"
