"""``covsplit plan``: compute a balanced split, print it beside the current one, and write ``workers.toml``.

The command only: it reads (:mod:`covsplit.plan_inputs`), plans
(:mod:`covsplit.planner`, pure), prints (:mod:`covsplit.plan_table`) and
writes (:mod:`covsplit.plan_toml`, and the schedule file of
:mod:`covsplit.sharing`), and turns failures into exit statuses.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from covsplit import config, exits, fsio, sharing, suite
from covsplit.packing import PlanError
from covsplit.plan_inputs import gather, load_settings, seconds_per_test
from covsplit.plan_table import render_balance
from covsplit.planner import make_plan
from covsplit.schedule import BY_STATEMENTS
from covsplit.statements import StatementCountError


def run(config_path: str | Path, workers: int | None = None, by: str = BY_STATEMENTS, dry_run: bool = False) -> int:
    """``covsplit plan``: compute the split, print old vs new balance, write workers.toml (unless ``dry_run``)."""
    try:
        settings = load_settings(config_path)
        config.check_kept_settings(settings.cfg, settings.data)
    except config.ConfigError as exc:
        return config.complain(exc)
    n = workers if workers is not None else len(settings.old)
    if n == 0 and workers is None:
        print(f"{settings.path}: no [workers.*] tables: say how many with --workers N", file=sys.stderr)
        return exits.CONFIG
    try:
        inputs = gather(settings.cfg)
        plan = make_plan(inputs, n, by, settings.old)
    except (PlanError, StatementCountError) as exc:
        print(f"covsplit plan: {exc}", file=sys.stderr)
        return exits.FAILED

    # Imported here: the only tomlkit user, which `check` (importing this module) does not need.
    from covsplit.plan_toml import render_toml

    text = render_toml(settings.text, plan)
    try:
        # The file must load exactly as every other command will load it.
        planned = config.parse(settings.path, tomllib.loads(text))
    except (config.ConfigError, tomllib.TOMLDecodeError) as exc:
        print(f"covsplit plan: internal error, the planned workers.toml does not load: {exc}", file=sys.stderr)
        return exits.FAILED
    # Never written: a split that leaves a test of the suite to no worker, or to two.
    lost = suite.placement_problems(inputs.test_files, ((w.name, w.tests) for w in planned.workers), plan.shared)
    if lost:
        print(f"covsplit plan: internal error, not written: {'; '.join(lost)}", file=sys.stderr)
        return exits.FAILED

    seconds, _ = seconds_per_test(inputs)
    timed = bool(inputs.durations)
    print(render_balance(plan, settings.old, inputs.statements, seconds, timed, inputs.fixed))
    for note in plan.notes:
        print(f"note: {note}")
    if dry_run:
        print(f"\n--- {settings.path} (dry run: not written) ---")
        print(text, end="")
        return exits.OK
    if text != settings.text:
        fsio.write_text(settings.path, text)
        print(f"wrote {settings.path}")
    else:
        print(f"{settings.path} is already this split")
    schedule_path = sharing.path_for(settings.path)
    if plan.shared or schedule_path.exists():
        sharing.write(schedule_path, plan.shared)
        print(f"wrote {schedule_path}" if plan.shared else f"removed {schedule_path}: no test file is shared")
    return exits.OK
