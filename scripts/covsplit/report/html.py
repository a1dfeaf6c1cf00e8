"""``report.html``: one static page over the model (no scripts, no external assets; its CSS is report.css)."""

from __future__ import annotations

import html
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from covsplit.numbers import Percent, format_percent, format_shortfall
from covsplit.report.markdown import _nothing_to_do
from covsplit.report.model import (
    ReportModel,
    _as_percent,
    format_amount,
    format_count,
    format_ratio,
    format_seconds,
    format_threshold,
    format_time,
)
from covsplit.summary import OWN_TESTS

# The stylesheet, inlined so the page opens from file:// anywhere.
_CSS = "\n" + (Path(__file__).with_name("report.css").read_text(encoding="utf-8"))


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")


def _inline(text: str) -> str:
    """The little Markdown the next steps use (code, bold), escaped, as HTML.

    Plain text was entity-escaped for Markdown (:func:`_md`); it is unescaped
    before being escaped again for HTML, so ``<`` shows as ``<`` in both.
    """
    out, last = [], 0
    for match in _INLINE.finditer(text):
        out.append(_e(html.unescape(text[last : match.start()])))
        if match.group(1) is not None:
            out.append(f"<code>{_e(match.group(1))}</code>")
        else:
            out.append(f"<strong>{_e(match.group(2))}</strong>")
        last = match.end()
    out.append(_e(html.unescape(text[last:])))
    return "".join(out)


def _bar(
    kind: str, worker: str, value: Percent | None, threshold: float | None, width_of: Percent | None = None
) -> str:
    """A bar with its value in data attributes and, when gated, a threshold marker."""
    if value is None:
        return (
            f'<div class="bar {kind} none" data-worker="{_e(worker)}" data-value="" '
            f'data-threshold="{_e(format_threshold(threshold)) if threshold is not None else ""}">'
            '<span class="text">n/a</span></div>'
        )
    shown = format_percent(value)
    fill = format_percent(min(width_of if width_of is not None else value, Fraction(100)))
    below = threshold is not None and value < (Fraction(threshold) if isinstance(value, Fraction) else threshold)
    classes = f"bar {kind}" + (" below" if below else "")
    marker = ""
    attrs = ""
    if threshold is not None:
        marker = f'<div class="marker" style="left:{_e(format_threshold(min(threshold, 100.0)))}%"></div>'
        attrs = f' data-threshold="{_e(format_threshold(threshold))}" data-pass="{"false" if below else "true"}"'
    elif width_of is not None:
        # A scaled bar (the share of target) marks where 100% of its value falls.
        marker = '<div class="marker target" style="left:50%"></div>'
    return (
        f'<div class="{classes}" data-worker="{_e(worker)}" data-value="{shown}"{attrs} role="img" '
        f'aria-label="{_e(kind)} {shown}%">'
        f'<div class="fill" style="width:{fill}%"></div>{marker}<span class="text">{shown}%</span></div>'
    )


def _link(href: str | None, text: str, cls: str) -> str:
    if href is None:
        return f'<span class="{cls} missing-link">{_e(text)} (none yet)</span>'
    return f'<a class="{cls}" href="{_e(href)}">{_e(text)}</a>'


def render_html(model: ReportModel) -> str:
    """One static page, no scripts and no external assets, so it opens from ``file://`` anywhere."""
    out: list[str] = []
    add = out.append
    add("<!DOCTYPE html>")
    add('<html lang="en"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>Coverage split: {len(model.workers)} workers</title>")
    add(f"<style>{_CSS}</style></head><body>")
    add(f'<h1 id="title">Coverage split: {len(model.workers)} workers</h1>')
    add(
        f'<p class="meta">Generated at <time id="generated-at">{_e(format_time(model.generated_at))}</time> '
        f'from <code>{_e(model.config_name)}</code>. Same data as <a href="report.md">report.md</a>.</p>'
    )
    for warning in model.warnings:
        add(f'<div class="banner stale warning">{_e(warning)}</div>')

    add('<section id="summary" class="cards">')
    cards = [
        ("total-statements", "Total statements", format_count(model.total_statements)),
        ("target", "Target per worker", format_amount(model.target)),
        ("modules", "Modules", format_count(model.modules)),
        ("test-files", "Test files", format_count(model.test_files)),
        ("max-mean", "Max/mean (statements)", format_ratio(model.max_mean)),
    ]
    if model.seconds_max_mean is not None:
        cards.append(("max-mean-seconds", "Max/mean (seconds)", format_ratio(model.seconds_max_mean)))
    for key, label, value in cards:
        add(
            f'<div class="card" id="card-{key}"><div class="k">{_e(label)}</div>'
            f'<div class="v" data-value="{_e(value)}">{_e(value)}</div></div>'
        )
    add("</section>")

    add('<h2 id="combined-heading">Combined coverage</h2>')
    c = model.combined
    add(f'<section id="combined" data-state="{"absent" if c is None else "complete" if c.complete else "partial"}">')
    if c is None:
        add(
            f'<div class="banner absent" id="aggregate-absent">The {_e(model.aggregate_problem)}: no combined figures. '
            f"Run <code>{_e(model.invoke.nox('-s', 'aggregate'))}</code>.</div>"
        )
    else:
        if not c.complete:
            names = ", ".join(
                f'<span class="missing-worker" data-worker="{_e(m.name)}">{_e(m.name)} ({_e(m.state)})</span>'
                for m in c.missing
            )
            add(
                f'<div class="banner partial" id="partial">PARTIAL: the aggregate lacks {names or "some workers"}; '
                "these totals are not the project&#x27;s coverage.</div>"
            )
        if c.stale:
            add(
                f'<div class="banner stale" id="stale">Stale: made before the latest run of {_e(", ".join(c.stale))}; '
                f"rerun <code>{_e(model.invoke.nox('-s', 'aggregate'))}</code>.</div>"
            )
        add(
            "<table><thead><tr><th>Measure</th><th>Coverage</th><th>Covered / total</th><th>Gate</th></tr></thead>"
            "<tbody>"
        )
        gate_counts = {
            "line": (c.coverage.covered_lines, c.coverage.statements),
            "branch": (c.coverage.covered_branches, c.coverage.branches),
        }
        for gate in c.gates:
            gate_covered, gate_total = gate_counts[gate.name]
            if gate.passed is None:
                verdict, cls = "n/a", "gate-na"
            elif gate.passed:
                verdict, cls = "passed", "gate-pass"
            else:
                verdict, cls = f"failed, short by {format_shortfall(gate.shortfall)} points", "gate-fail"
            if not c.complete:
                verdict += " (PARTIAL)"
            add(
                f'<tr class="gate" data-gate="{_e(gate.name)}" data-passed="{_e(str(gate.passed).lower())}">'
                f"<td>{_e(gate.name)}</td>"
                f'<td class="cellbar">{_bar(gate.name, "combined", gate.actual, gate.threshold)}</td>'
                f'<td class="num">{format_count(gate_covered)} / {format_count(gate_total)}</td>'
                f'<td class="{cls}">{_e(verdict)}</td></tr>'
            )
        add("</tbody></table>")
    add(f"<p>{_link(c.html_href if c is not None else None, 'Combined HTML report', 'combined-html')}</p>")
    add("</section>")

    add('<h2 id="workers-heading">Workers</h2>')
    add(
        '<table id="workers"><thead><tr><th>Worker</th><th>State</th><th>Line (its modules)</th>'
        "<th>Branch (its modules)</th><th>Tests</th><th>Share of target</th><th>Seconds</th><th>Reports</th></tr>"
        "</thead><tbody>"
    )
    for w in model.workers:
        cov = w.coverage
        line = cov.line_percent if cov is not None else None
        branch = cov.branch_percent if cov is not None else None
        state_cls = "state-" + w.state.replace(" ", "-")
        if w.outcomes:
            counts = [
                f'<span class="count {key}{" zero" if not w.outcomes[key] else ""}" data-value="{w.outcomes[key]}" '
                f'title="{key}">{w.outcomes[key]}</span> {key}'
                for key in ("passed", "failed", "errors", "skipped")
            ]
            tests = " · ".join(counts[:2]) + "<br>" + " · ".join(counts[2:])
        else:
            tests = '<span class="count none">none recorded</span>'
        share = _as_percent(w.share)
        # Half scale: a worker at twice the target fills the bar, the target sits mid-bar.
        half = share / 2 if share is not None else None
        seconds_text = "" if w.seconds is None else f"{w.seconds:.2f}"
        own_only = '<div class="title">own tests only</div>' if w.coverage_scope == OWN_TESTS else ""
        add(
            f'<tr class="worker" id="worker-{_e(w.name)}" data-worker="{_e(w.name)}" data-state="{_e(w.state)}">'
            f'<td><strong>{_e(w.name)}</strong><div class="title">{_e(w.title)}</div></td>'
            f'<td><span class="badge {_e(state_cls)}" data-state="{_e(w.state)}">{_e(w.state_label)}</span></td>'
            f'<td class="cellbar" data-scope="{_e(w.coverage_scope)}">'
            f"{_bar('line', w.name, line, model.line_threshold)}{own_only}</td>"
            f'<td class="cellbar">{_bar("branch", w.name, branch, model.branch_threshold)}</td>'
            f'<td class="tests">{tests}</td>'
            f'<td class="cellbar">{_bar("share", w.name, share, None, width_of=half)}'
            f'<div class="title">{format_count(w.statements)} stmts, {_e(w.balance)}</div></td>'
            f'<td class="num seconds" data-value="{seconds_text}">{_e(format_seconds(w.seconds))}</td>'
            f"<td>{_link(w.html_href, 'HTML report', 'worker-html')}"
            f"{'<br>' + _link(w.analysis_href, 'failure analysis', 'worker-analysis') if w.analysis_href else ''}"
            "</td></tr>"
        )
    add("</tbody></table>")
    add(
        '<p class="meta">Bars: coverage of the modules each worker owns under the whole suite (the combined data), '
        "unless marked own tests only; the black mark is the threshold. "
        "Share bars are drawn at half scale, so the middle is the target.</p>"
    )

    if model.slowest_tests:
        add('<h2 id="slowest-heading">Slowest tests</h2><table id="slowest"><thead><tr><th>Test</th>'
            "<th>Worker</th><th>Seconds</th></tr></thead><tbody>")  # fmt: skip
        for nodeid, worker_name, seconds in model.slowest_tests:
            add(
                f"<tr><td><code>{_e(nodeid)}</code></td><td>{_e(worker_name)}</td>"
                f'<td class="num">{seconds:.2f}</td></tr>'
            )
        add("</tbody></table>")
    add('<h2 id="next-steps-heading">Next steps</h2>')
    if model.next_steps:
        add('<ol class="steps" id="next-steps">')
        for step in model.next_steps:
            items = ""
            if step.items:
                items = "<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in step.items) + "</ul>"
            add(f"<li>{_inline(step.text)}{items}</li>")
        add("</ol>")
    else:
        add(f'<p id="nothing-to-do">{_e(_nothing_to_do(model))}</p>')
    add("</body></html>")
    return "\n".join(out) + "\n"
