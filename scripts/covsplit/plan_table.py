"""The text table ``plan`` prints: the old and the new split side by side, with their max/mean ratios."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from covsplit.packing import ratio
from covsplit.plan_inputs import OldWorker
from covsplit.plan_model import Plan
from covsplit.schedule import BY_STATEMENTS


def _old_loads(
    old: Sequence[OldWorker], statements: Mapping[str, int], seconds: Mapping[str, float], fixed: float
) -> list[tuple[str, str, int, float]]:
    # A test file several workers list (shared in pieces, or dealt) is counted at an even share each.
    holders = Counter(t for w in old for t in set(w.tests))
    return [
        (
            w.name,
            w.title,
            sum(statements.get(f, 0) for f in w.files),
            fixed + sum(seconds.get(t, 0.0) / holders[t] for t in set(w.tests)),
        )
        for w in old
    ]


def render_balance(
    plan: Plan,
    old: Sequence[OldWorker],
    statements: Mapping[str, int],
    seconds: Mapping[str, float],
    timed: bool,
    fixed: float = 0.0,
) -> str:
    """The old and the new split side by side, with their max/mean ratios.

    Seconds are a worker's predicted pytest time: its test files' measured
    seconds plus the measured fixed cost of a worker, the measure the report
    shows for a run.
    """
    before = _old_loads(old, statements, seconds, fixed)
    after = [(w.name, w.title, w.statements, w.seconds) for w in plan.workers]

    def cell(row: tuple[str, str, int, float] | None) -> str:
        if row is None:
            return " " * 62
        name, title, stmts, secs = row
        secs_text = f"{secs:8.1f}s" if timed else " " * 9
        title = title if len(title) <= 34 else title[:33] + "…"
        return f"{name:<10.10} {title:<34} {stmts:>7,} {secs_text}"

    unit = "statements" if plan.by == BY_STATEMENTS else "seconds"
    target = f"{plan.target:,.0f} statements" if plan.by == BY_STATEMENTS else f"{plan.target:,.1f} s"
    lines = [
        f"balance by {unit}: {len(plan.workers)} workers, target {target} per worker",
        "",
        f"{'before':<62} | after",
    ]
    for index in range(max(len(before), len(after))):
        left = cell(before[index]) if index < len(before) else cell(None)
        right = cell(after[index]) if index < len(after) else ""
        lines.append(f"{left} | {right}".rstrip())
    for label, pick, shown in (("statements", 2, True), ("seconds", 3, timed)):
        if not shown:
            continue
        old_ratio = f"{ratio([float(row[pick]) for row in before]):.3f}" if before else "-"
        new_ratio = f"{ratio([float(row[pick]) for row in after]):.3f}"
        lines.append(f"{'max/mean ' + label:<62} | {old_ratio} -> {new_ratio}")
    if plan.ideal > 0:
        heaviest = max(plan.loads)
        amount = f"{heaviest:,.0f} statements" if plan.by == BY_STATEMENTS else f"{heaviest:,.2f} s"
        best = f"{plan.ideal:,.0f}" if plan.by == BY_STATEMENTS else f"{plan.ideal:,.2f} s"
        lines.append(
            f"heaviest worker: {amount}, {heaviest / plan.ideal - 1:+.1%} from the ideal {best} "
            "(total / N, or the heaviest piece that cannot be split)"
        )
    missing = [f"{w.name}: {m}" for w in old for m in w.missing]
    if missing:
        lines.append(f"modules of the old split that no longer exist: {', '.join(missing)}")
    return "\n".join(lines)
