"""``covsplit plan``: compute a balanced split, print it beside the current one, and write ``workers.toml``.

The command only: it reads (:mod:`covsplit.plan_inputs`), plans
(:mod:`covsplit.planner`, pure), prints (:mod:`covsplit.plan_table`) and
writes (:mod:`covsplit.plan_toml`, and the schedule file of
:mod:`covsplit.schedule_file`), and turns failures into exit statuses.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from covsplit import commands, config, exits, fsio, schedule_file, status, suite_files
from covsplit.packing import PlanError
from covsplit.plan_inputs import gather, load_settings, seconds_per_test
from covsplit.plan_table import render_balance
from covsplit.planner import make_plan
from covsplit.schedule import BY_STATEMENTS
from covsplit.statements import StatementCountError


def run(
    config_path: str | Path,
    workers: int | None = None,
    by: str = BY_STATEMENTS,
    dry_run: bool = False,
    keep_diagnosed: bool = False,
) -> int:
    """``covsplit plan``: compute the split, print old vs new balance, write workers.toml (unless ``dry_run``).

    ``keep_diagnosed``: first add the groups the latest diagnosis found
    (covsplit.diagnose) to ``project.keep_together``, so that this plan
    keeps each split-caused failure's tests in one worker.
    """
    if keep_diagnosed:
        code = _keep_diagnosed(config_path, dry_run)
        if code != exits.OK:
            return code
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
    lost = suite_files.placement_problems(inputs.test_files, ((w.name, w.tests) for w in planned.workers), plan.shared)
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
    schedule_path = schedule_file.path_for(settings.path)
    if plan.shared or schedule_path.exists():
        schedule_file.write(schedule_path, plan.shared)
        print(f"wrote {schedule_path}" if plan.shared else f"removed {schedule_path}: no test file is shared")
    return exits.OK


def _keep_diagnosed(config_path: str | Path, dry_run: bool) -> int:
    """Add the latest diagnosis's keep_together groups to workers.toml (atomically); say which."""
    from covsplit import diagnose
    from covsplit.plan_toml import set_keep_together

    try:
        loaded = config.read(config_path, lenient=True)
    except config.ConfigError as exc:
        return config.complain(exc)
    cfg = loaded.cfg
    found = diagnose.read(diagnose.path_for(cfg))
    runs = found.runs if found else {}
    started = {name: str(status.read(cfg.layout.worker(name).status).get("started_at", "")) for name in runs}
    findings = [f for fs in diagnose.current_findings(found, started).values() for f in fs]
    if not findings:
        print(
            f"covsplit plan: {diagnose.path_for(cfg)} holds no diagnosis of the workers' latest runs: "
            f"run `{commands.invocation(cfg).make('diagnose')}` first",
            file=sys.stderr,
        )
        return exits.FAILED
    groups, added = diagnose.merge_groups(cfg.keep_together, [f.group for f in findings if f.group])
    if not added:
        print("project.keep_together already holds every group the diagnosis found")
        return exits.OK
    text = set_keep_together(loaded.text, groups)
    try:
        config.parse(cfg.path, tomllib.loads(text))
    except (config.ConfigError, tomllib.TOMLDecodeError) as exc:
        print(f"covsplit plan: the diagnosis's groups do not load: {exc}", file=sys.stderr)
        return exits.FAILED
    for group in added:
        print(f"project.keep_together {'would get' if dry_run else 'gets'} {list(group)}")
    if not dry_run:
        fsio.write_text(cfg.path, text)
    return exits.OK
