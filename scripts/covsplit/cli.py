"""``python -m covsplit COMMAND``: the entry point the noxfile and Makefile call.

Every command takes ``--config`` (default ``$COVSPLIT_CONFIG`` or
``./workers.toml``) and turns a configuration error into a clear message
and exit status 2 (covsplit.exits) before any work starts.  Each command
has its handler here; what it computes lives in the module named for it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from covsplit import config, exits, schedule


def default_config_path() -> str:
    return os.environ.get("COVSPLIT_CONFIG", "workers.toml")


def _load(path: str) -> config.Config:
    cfg = config.load(path)
    for warning in cfg.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return cfg


def parser() -> argparse.ArgumentParser:
    """Every command and its options, in one parser (``covsplit --help``, ``covsplit plan --help``)."""
    # --config is accepted before or after the command: `covsplit plan --config x.toml` reads naturally.
    config_option = argparse.ArgumentParser(add_help=False)
    config_option.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help="workers.toml to use (default: $COVSPLIT_CONFIG or ./workers.toml)",
    )
    top = argparse.ArgumentParser(prog="covsplit", description=__doc__.splitlines()[0], parents=[config_option])
    commands = top.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help, parents=[config_option])

    command("validate", "check workers.toml and print its workers")
    command("workers", "print the worker names, one per line (for the Makefile)")
    jobs = command("jobs", "how many workers to run at once, from the memory earlier runs needed")
    jobs.add_argument("names", nargs="*", help="size for these workers only (default: every worker)")
    pending = command(
        "pending", "the workers make coverage-all must run: stale, crashed, never run (the others are reused)"
    )
    pending.add_argument("names", nargs="*", help="consider these workers only (a CI job: its own worker)")
    pending.add_argument("--full", action="store_true", help="every worker, whatever changed")
    pending.add_argument("--retry", action="store_true", help="also the workers whose tests failed")
    pending.add_argument(
        "--aggregate", action="store_true", help='print "aggregate" when the aggregate and report must run again'
    )
    command("matrix", "the workers as a CI matrix (GitHub's JSON shape) for other CI systems")
    verdict = command("verdict", "one screen: each worker, the combined figures, the gates")
    verdict.add_argument(
        "--strict", action="store_true", help="exit 1 unless complete, gates passed and every worker's tests passed"
    )
    worker_reports = command(
        "worker-reports", "coverage reports of what one worker's own tests covered (after it ran alone)"
    )
    worker_reports.add_argument("name")
    aggregate_command = command("aggregate", "combine the workers' coverage and gate it")
    aggregate_command.add_argument(
        "--report", action="store_true", help="then write the report too, in the same process (make coverage-all)"
    )
    command("report", "write coverage_output/report.md and report.html")
    by_choices = schedule.MEASURES
    plan_command = command("plan", "compute a balanced split and rewrite workers.toml")
    plan_command.add_argument("--workers", type=int, help="number of workers (default: as many as now)")
    plan_command.add_argument("--by", choices=by_choices, default=schedule.BY_STATEMENTS, help="what to balance")
    plan_command.add_argument("--dry-run", action="store_true", help="print the plan without writing workers.toml")
    plan_command.add_argument(
        "--keep-diagnosed",
        action="store_true",
        help="first add the keep_together groups the latest diagnosis found (coverage_output/diagnosis.json)",
    )
    diagnose_command = command(
        "diagnose",
        "which failed tests fail in a serial run too, and which tests the others need (in the project's virtualenv)",
    )
    diagnose_command.add_argument(
        "--auto", action="store_true", help="as make coverage-all does: within project.diagnose_budget seconds"
    )
    diagnose_command.add_argument("--budget", type=float, help="stop starting runs after this many seconds")
    diagnose_command.add_argument("--again", action="store_true", help="diagnose anew, even runs already diagnosed")
    diagnose_command.add_argument(
        "--due",
        action="store_true",
        help='only print "diagnose" when make coverage-all should diagnose by itself (the diagnosis first moves on '
        "to runs that kept its failures)",
    )
    init_command = command("init", "write a workers.toml for a repository from its own settings, then plan it")
    init_command.add_argument("--root", required=True, help="the repository to split")
    init_command.add_argument("--workers", type=int, default=5, help="number of workers (default 5)")
    init_command.add_argument("--force", action="store_true", help="replace an existing workers.toml")
    check_command = command("check", "check workers.toml against the code: ownership, test files, balance")
    check_command.add_argument("--by", choices=by_choices, default=schedule.BY_STATEMENTS, help="balance measure")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    path = getattr(args, "config", None) or default_config_path()
    try:
        if args.command in _READS_ITSELF:
            return _READS_ITSELF[args.command](args, path)
        return HANDLERS[args.command](args, _load(path))
    except config.ConfigError as exc:
        # A bad file, or a name it does not have (`covsplit pending worker9`).
        return config.complain(exc)


# plan and check read workers.toml leniently (config.read): they list, or repair, what a run would refuse.
def _plan(args: argparse.Namespace, path: str) -> int:
    from covsplit import plan

    return plan.run(path, workers=args.workers, by=args.by, dry_run=args.dry_run, keep_diagnosed=args.keep_diagnosed)


def _check(args: argparse.Namespace, path: str) -> int:
    from covsplit import check

    return check.run(path, by=args.by)


def _init(args: argparse.Namespace, path: str) -> int:
    from covsplit import init

    # init writes the file, so --config is where to, and by default beside the other splits.
    target = getattr(args, "config", None) or init.default_path(args.root)
    return init.run(args.root, target, args.workers, args.force)


def _validate(args: argparse.Namespace, cfg: config.Config) -> int:
    for worker in cfg.workers:
        print(f"{worker.name}: {worker.title} ({len(worker.files)} files, tests: {' '.join(worker.tests)})")
    return exits.OK


def _workers(args: argparse.Namespace, cfg: config.Config) -> int:
    print("\n".join(worker.name for worker in cfg.workers))
    return exits.OK


def _matrix(args: argparse.Namespace, cfg: config.Config) -> int:
    import json

    print(json.dumps({"include": [{"worker": w.name, "title": w.title} for w in cfg.workers]}))
    return exits.OK


def _verdict(args: argparse.Namespace, cfg: config.Config) -> int:
    from covsplit import report

    model = report.model_for(cfg)
    print(report.render_verdict(model, cfg.layout.report_html, report.run_started()))
    return exits.FAILED if args.strict and not report.all_clear(model) else exits.OK


def _jobs(args: argparse.Namespace, cfg: config.Config) -> int:
    from covsplit import capacity

    jobs, why = capacity.jobs(cfg, args.names)
    print(jobs)
    print(f"covsplit: {why}", file=sys.stderr)
    return exits.OK


def _pending(args: argparse.Namespace, cfg: config.Config) -> int:
    from covsplit import pending

    return pending.run(cfg, full=args.full, combined=args.aggregate, only=args.names, retry=args.retry)


def _worker_reports(args: argparse.Namespace, cfg: config.Config) -> int:
    from covsplit import worker_reports

    return worker_reports.run_alone(cfg, args.name)


def _aggregate(args: argparse.Namespace, cfg: config.Config) -> int:
    import time

    from covsplit import aggregate, fsio

    started_wall, started_cpu = time.perf_counter(), time.process_time()
    code = aggregate.run(cfg)
    if args.report:
        from covsplit import report

        report.write_report(cfg)
    # What this aggregate (and report) cost, for `make bench`: a run's process tree does not tell it apart.
    wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
    cost = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "report": args.report}
    fsio.write_json(cfg.layout.aggregate_cost, cost)
    return code


def _diagnose(args: argparse.Namespace, cfg: config.Config) -> int:
    from covsplit import diagnose_run

    if args.due:
        diagnose_run.carry_forward(cfg)
        if diagnose_run.due(cfg, cfg.diagnose_budget):
            print("diagnose")
        return exits.OK
    budget = args.budget if args.budget is not None else (cfg.diagnose_budget if args.auto else None)
    return diagnose_run.run(cfg, budget=budget, auto=args.auto, again=args.again)


def _report(args: argparse.Namespace, cfg: config.Config) -> int:
    from covsplit import report

    return report.write_report(cfg)


# Each command's handler; imports are inside them, so `workers` or `pending` (run by make on the caller's
# Python, before any virtualenv) never import coverage or jinja2.
_READS_ITSELF: dict[str, Callable[[argparse.Namespace, str], int]] = {"plan": _plan, "check": _check, "init": _init}
HANDLERS: dict[str, Callable[[argparse.Namespace, config.Config], int]] = {
    "validate": _validate,
    "workers": _workers,
    "matrix": _matrix,
    "verdict": _verdict,
    "jobs": _jobs,
    "pending": _pending,
    "worker-reports": _worker_reports,
    "aggregate": _aggregate,
    "report": _report,
    "diagnose": _diagnose,
}
