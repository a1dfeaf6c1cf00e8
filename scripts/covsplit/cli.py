"""``python -m covsplit COMMAND``: the entry point the noxfile and Makefile call.

Every command takes ``--config`` (default ``$COVSPLIT_CONFIG`` or
``./workers.toml``) and turns a configuration error into a clear message
and exit status 2 before any work starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from covsplit import config


def default_config_path() -> str:
    return os.environ.get("COVSPLIT_CONFIG", "workers.toml")


def _load(path: str) -> config.Config:
    cfg = config.load(path)
    for warning in cfg.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return cfg


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="covsplit", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", default=None, help="workers.toml to use (default: $COVSPLIT_CONFIG or ./workers.toml)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate", help="check workers.toml and print its workers")
    commands.add_parser("workers", help="print the worker names, one per line (for the Makefile)")
    commands.add_parser("jobs", help="how many workers to run at once, from the memory earlier runs needed")
    commands.add_parser("matrix", help="the workers as a CI matrix (GitHub's JSON shape) for other CI systems")
    verdict = commands.add_parser("verdict", help="one screen: each worker, the combined figures, the gates")
    verdict.add_argument(
        "--strict", action="store_true", help="exit 1 unless complete, gates passed and every worker's tests passed"
    )
    worker_reports = commands.add_parser(
        "worker-reports", help="coverage reports of what one worker's own tests covered (after it ran alone)"
    )
    worker_reports.add_argument("name")
    aggregate_command = commands.add_parser("aggregate", help="combine the workers' coverage and gate it")
    aggregate_command.add_argument(
        "--report", action="store_true", help="then write the report too, in the same process (make coverage-all)"
    )
    commands.add_parser("report", help="write coverage_output/report.md and report.html")
    commands.add_parser("plan", help="compute a balanced split (see `covsplit plan --help`)", add_help=False)
    commands.add_parser("check", help="check workers.toml against the code", add_help=False)

    args, rest = parser.parse_known_args(argv)
    path = args.config or default_config_path()
    # plan and check own their options and report every problem themselves.
    if args.command in ("plan", "check"):
        module = __import__(f"covsplit.{args.command}", fromlist=["main"])
        return module.main(["--config", path, *rest])
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        cfg = _load(path)
    except config.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return config.CONFIG_EXIT_STATUS

    if args.command == "validate":
        for worker in cfg.workers:
            print(f"{worker.name}: {worker.title} ({len(worker.files)} files, tests: {' '.join(worker.tests)})")
        return 0
    if args.command == "workers":
        print("\n".join(worker.name for worker in cfg.workers))
        return 0
    if args.command == "matrix":
        import json

        print(json.dumps({"include": [{"worker": w.name, "title": w.title} for w in cfg.workers]}))
        return 0
    if args.command == "verdict":
        from covsplit import report

        model = report.model_for(cfg)
        print(report.render_verdict(model, cfg.output_dir / "report.html"))
        return 1 if args.strict and not report.all_clear(model) else 0
    if args.command == "jobs":
        from covsplit import capacity, status

        needs = []
        for w in cfg.workers:
            record = status.read(status.worker_paths(cfg.output_dir, cfg.html_dir, w.name).status)
            peak, processes = record.get("peak_rss_mib"), record.get("processes") or 1
            if isinstance(peak, int | float) and isinstance(processes, int):
                needs.append(peak * processes)
        jobs, why = capacity.parallel_workers(len(cfg.workers), needs, capacity.available_mib())
        print(jobs)
        print(f"covsplit: {why}", file=sys.stderr)
        return 0
    if args.command == "worker-reports":
        from covsplit import worker_reports as reports

        return reports.run_alone(cfg, args.name)
    if args.command == "aggregate":
        from covsplit import aggregate

        code = aggregate.run(cfg)
        if args.report:
            from covsplit import report

            report.write_report(cfg)
        return code
    from covsplit import report

    return report.write_report(cfg)
