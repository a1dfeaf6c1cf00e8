"""Benchmark covsplit against the alternatives, on the same project, as ratios.

Run with ``make bench`` (the nox session ``bench``).  Measured, in wall
seconds, each the best of ``--repeat`` runs:

* ``serial``: one ``pytest --cov=<every package> --cov-branch`` over the
  whole test root, no report: the reference every ratio is relative to;
* ``serial+reports``: the same, writing what covsplit's combined step writes
  (JSON, XML, HTML), the fair single-process alternative;
* ``spec-literal``: the hand-made document's commands, one per worker, each
  running the *whole* test root with ``--cov=<its packages>``, one after the
  other (what the seed split asked people to run);
* ``covsplit-seq``: ``make coverage-seq`` with warm virtualenvs;
* ``covsplit-parallel``: ``make coverage-all`` with warm virtualenvs;
* ``covsplit-cold``: ``make coverage-all`` into an empty nox envdir (venv
  creation and installs included), once.

Timing lives here, never in tests.  Results go to stdout and
``coverage_output/bench.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from covsplit import config, fsio  # noqa: E402


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def best_of(repeat: int, run: Callable[[], object]) -> float:
    return min(timed(run) for _ in range(repeat))


def sh(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    # Outcomes do not matter here (the example's tests pass); only the time does.
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true", help="do not measure the cold run")
    args = parser.parse_args()

    cfg = config.load(os.environ.get("COVSPLIT_CONFIG", REPO / "workers.toml"))
    make = ["make", "--no-print-directory", f"CONFIG={cfg.path}"]
    env = dict(os.environ)

    # Warm the worker virtualenvs once; the first worker's venv then serves the baselines.
    sh([*make, "coverage-all"], REPO, env)
    python = str(REPO / ".nox" / cfg.workers[0].name / "bin" / "python")
    sources = [Path(cfg.source_dir, *p.split(".")).as_posix() for p in cfg.source]
    scratch = Path(tempfile.mkdtemp(prefix="covsplit-bench-"))
    base_env = {**env, "COVERAGE_FILE": str(scratch / ".coverage")}
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov-branch", "--cov-report="]

    results: dict[str, float] = {}
    results["serial"] = best_of(
        args.repeat, lambda: sh([*pytest, *[f"--cov={s}" for s in sources], cfg.test_root], cfg.root, base_env)
    )

    reports = [f"--cov-report={kind}:{scratch / kind}" for kind in ("json", "xml", "html")]
    results["serial+reports"] = best_of(
        args.repeat,
        lambda: sh([*pytest, *[f"--cov={s}" for s in sources], *reports, cfg.test_root], cfg.root, base_env),
    )

    def spec_literal() -> None:
        for worker in cfg.workers:
            covs = [f"--cov={m}" for m in worker.modules]
            sh([*pytest, *covs, cfg.test_root], cfg.root, base_env)

    results["spec-literal"] = best_of(args.repeat, spec_literal)
    results["covsplit-seq"] = best_of(args.repeat, lambda: sh([*make, "coverage-seq"], REPO, env))
    results["covsplit-parallel"] = best_of(args.repeat, lambda: sh([*make, "coverage-all"], REPO, env))
    if not args.skip_cold:
        cold_env = {**env, "NOXFLAGS": f"--envdir {scratch / 'envs'}"}
        results["covsplit-cold"] = timed(lambda: sh([*make, "coverage-all"], REPO, cold_env))

    reference = results["serial"]
    lines = [
        "# covsplit benchmark",
        "",
        f"Project: `{cfg.root.relative_to(REPO) if cfg.root.is_relative_to(REPO) else cfg.root}`, "
        f"{len(cfg.workers)} workers, {os.cpu_count()} CPUs; best of {args.repeat} (cold: once).",
        "",
        "| Run | Seconds | Ratio to serial |",
        "| --- | ---: | ---: |",
        *[f"| {name} | {seconds:.2f} | {seconds / reference:.2f}x |" for name, seconds in results.items()],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    fsio.write_text(cfg.output_dir / "bench.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
