"""Benchmark covsplit against the alternatives on one project: ``make bench [CONFIG=...]``.

Contenders, run alternately (one round runs each once) and repeated, each
reported as the median of its runs:

* ``serial``: one ``pytest --cov=<every source package> --cov-branch`` over
  the tests the workers run, writing the JSON and HTML reports;
* ``xdist``: the same with ``-n auto``;
* ``spec-commands``: the seed document's literal per-worker commands, each
  ``pytest --cov=<its modules> <whole test root>`` with the same reports,
  all at once as its "Parallel Execution" section runs them;
* ``covsplit-warm``: ``make coverage-all FULL=1`` (every worker runs) with
  its virtualenvs in place;
* ``covsplit-cold``: the same into an empty nox envdir (every virtualenv
  created and installed; uv's download cache stays warm);
* ``covsplit-edit``: one worker's test file edited (a comment appended,
  the worker of median measured seconds), then ``make coverage-all``: the
  daily workflow, where only the stale worker runs again;
* ``covsplit-unchanged``: ``make coverage-all`` with nothing changed.

Baselines run in a virtualenv of their own with the project, pytest-cov
and pytest-xdist.  Every contender's output goes to a folder that is reused
from run to run, so coverage.py's HTML report redoes only changed pages for
all of them alike.  Measured per run: wall seconds, CPU seconds of the whole
process tree (user + system, from the children's resource usage), and the
peak of the tree's summed resident memory (sampled every 0.2 s from /proc).

The whole field runs twice: with ``PYTHONDONTWRITEBYTECODE`` set (as in
many CI images; the bytecode earlier runs wrote is removed first) and
unset (as on a developer's machine), since start-up costs differ by the
setting and covsplit starts more interpreters than its baselines.

Writes ``coverage_output/bench.json`` (the shape other tools read: one
record per setting) and ``bench.md``.  Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from covsplit import config, discover, durations, fsio, schedule, sharing, status  # noqa: E402
from covsplit.nox_support import envdir_name, install_fingerprint  # noqa: E402

CONTENDERS = (
    "serial", "xdist", "spec-commands", "covsplit-warm", "covsplit-cold", "covsplit-edit", "covsplit-unchanged",
)  # fmt: skip
REQUIREMENTS = REPO / "scripts" / "requirements"
# Serial runs of at least this long are "real projects" for the targets; shorter ones are fixed-cost bound.
LONG_RUN_S = 10.0


@dataclass
class Sample:
    wall_s: float
    cpu_s: float
    peak_mib: float
    returncode: int


@dataclass
class Contender:
    name: str
    run: Callable[[], Sample]
    samples: list[Sample] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(getattr(sample, key) for sample in self.samples)


# --------------------------------------------------------------------------- measuring


def _tree_rss_mib(root: int) -> float:
    """Summed resident memory of ``root`` and every process below it.

    Walks the tree through /proc's children lists, so a sample costs in
    proportion to the run's own processes, not to everything on the machine.
    """
    total_pages, frontier, seen = 0, [root], set()
    while frontier:
        pid = frontier.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            total_pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            for task in os.scandir(f"/proc/{pid}/task"):
                frontier.extend(int(child) for child in Path(task.path, "children").read_text().split())
        except (OSError, ValueError):
            continue  # the process ended between two reads
    return total_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(command: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path) -> Sample:
    """Run ``command`` to its end: wall time, CPU of its whole tree, peak memory of its tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = 0.0
    started = time.perf_counter()
    with open(log, "ab") as out:
        process = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            # Sparse enough not to take CPU from the run it measures.
            while not done.wait(0.2):
                peak = max(peak, _tree_rss_mib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait()
        done.set()
        sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(round(wall, 3), round(cpu, 3), round(peak, 1), returncode)


def measure_all(commands: Sequence[Sequence[str]], cwd: Path, env: Mapping[str, str], log: Path) -> Sample:
    """Several commands started together (the spec's per-worker commands), measured as one run."""
    script = " & ".join(subprocess.list2cmdline(list(c)) for c in commands) + " & wait"
    return measure(["bash", "-c", script], cwd, env, log)


# --------------------------------------------------------------------------- contenders


def baseline_python(cfg: config.Config) -> Path:
    """A virtualenv with the project, pytest-cov and pytest-xdist, made once and reused while its inputs hold."""
    uv = shutil.which("uv", path=str(REPO / ".tools" / "bin")) or "uv"
    location = REPO / ".nox" / envdir_name(cfg.path, cfg.root) / "bench-baseline"
    python = location / "bin" / "python"
    groups = [
        ("-r", str(REQUIREMENTS / "worker.txt")),
        ("-r", str(REQUIREMENTS / "worker-xdist.txt")),
        *cfg.install,
    ]
    stamp = location / "covsplit-install.json"
    fingerprint = install_fingerprint(groups, cfg.root, str(python))
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return python
    subprocess.run([uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(location)], check=True)
    for group in groups:
        subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), *group], cwd=cfg.root, check=True)
    stamp.write_text(fingerprint)
    return python


def test_paths(cfg: config.Config) -> list[str]:
    """What covsplit's workers run, together: the union of their test paths."""
    paths: list[str] = []
    for worker in cfg.workers:
        paths.extend(t for t in worker.tests if t not in paths)
    return paths


def pytest_run(python: Path, cfg: config.Config, out: Path, covs: Sequence[str], tests: Sequence[str]) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    return [
        str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests, *[f"--cov={c}" for c in covs],
        "--cov-branch", f"--cov-report=json:{out / 'coverage.json'}", f"--cov-report=html:{out / 'html'}",
        *cfg.pytest_args,
    ]  # fmt: skip


class EditedTestFile:
    """A test file only the worker of median measured seconds runs, edited where no test sees; restored at the end."""

    def __init__(self, cfg: config.Config) -> None:
        self.cfg = cfg
        self.worker = ""
        self.path: Path | None = None
        self.original = b""
        self.edits = 0

    def _choose(self) -> Path:
        # Chosen at the first edit, from the seconds the runs before it measured.
        cfg = self.cfg
        # A file only one worker runs: editing a file several workers share re-runs all of them.
        listed = {w.name: discover.test_files_in(cfg.root, w.tests) for w in cfg.workers}
        own = {name: [f for f in files if sharing.entry_for(f, cfg.shared) is None] for name, files in listed.items()}
        seconds = {w.name: status.read(cfg.layout.worker(w.name).status).get("duration_s") for w in cfg.workers}
        timed = sorted((s, name) for name, s in seconds.items() if isinstance(s, int | float) and own[name])
        self.worker = timed[len(timed) // 2][1] if timed else cfg.workers[0].name
        worker = cfg.worker(self.worker)
        # Dealt before any run was measured, every file is every worker's: the edit re-runs them all.
        path = cfg.root / (own[self.worker] or listed[self.worker] or list(worker.tests))[0]
        self.original = path.read_bytes()
        return path

    def toggle(self) -> None:
        if self.path is None:
            self.path = self._choose()
        self.edits += 1
        self.path.write_bytes(self.original + f"\n# covsplit bench edit {self.edits}\n".encode())

    def restore(self) -> None:
        if self.path is not None:
            self.path.write_bytes(self.original)


def contenders(cfg: config.Config, python: Path, scratch: Path, log: Path, edited: EditedTestFile) -> list[Contender]:
    sources = [Path(cfg.source_dir, *package.split(".")).as_posix() for package in cfg.source]
    tests = test_paths(cfg)
    base_env = {**os.environ, **cfg.env}
    base_env.pop("COVERAGE_FILE", None)

    def baseline(name: str, extra: Sequence[str]) -> Callable[[], Sample]:
        out = scratch / name
        env = {**base_env, "COVERAGE_FILE": str(out / ".coverage")}
        return lambda: measure([*pytest_run(python, cfg, out, sources, tests), *extra], cfg.root, env, log)

    def spec_commands() -> Sample:
        commands = []
        for worker in cfg.workers:
            out = scratch / "spec" / worker.name
            command = pytest_run(python, cfg, out, worker.modules, [cfg.test_root])
            commands.append(["env", f"COVERAGE_FILE={out / '.coverage'}", *command])
        return measure_all(commands, cfg.root, base_env, log)

    make = ["make", "--no-print-directory", "-C", str(REPO), f"CONFIG={cfg.path}", "coverage-all"]
    full = [*make, "FULL=1"]

    def cold() -> Sample:
        envdir = Path(tempfile.mkdtemp(prefix="envs-", dir=scratch))
        try:
            return measure([*full, f"NOXFLAGS=--envdir {envdir}"], REPO, os.environ, log)
        finally:
            shutil.rmtree(envdir, ignore_errors=True)

    def edit() -> Sample:
        edited.toggle()
        return measure(make, REPO, os.environ, log)

    return [
        Contender("serial", baseline("serial", [])),
        Contender("xdist", baseline("xdist", ["-n", "auto"])),
        Contender("spec-commands", spec_commands),
        Contender("covsplit-warm", lambda: measure(full, REPO, os.environ, log)),
        Contender("covsplit-cold", cold),
        Contender("covsplit-edit", edit),
        Contender("covsplit-unchanged", lambda: measure(make, REPO, os.environ, log)),
    ]


# --------------------------------------------------------------------------- comparing


def coverage_differences(combined: Mapping[str, Any], serial: Mapping[str, Any]) -> list[str]:
    """Files whose executed lines, branches or statements differ between covsplit's combined data and a serial run.

    covsplit also lists never-imported files at 0%; a file the serial run
    did not report is a difference only if covsplit saw it executed.
    """
    ours, theirs = combined.get("files", {}), serial.get("files", {})
    different = []
    for name in sorted(set(ours) | set(theirs)):
        if name not in theirs:
            if ours[name].get("executed_lines"):
                different.append(name)
            continue
        if name not in ours:
            different.append(name)
            continue
        a, b = ours[name], theirs[name]
        if (
            a.get("executed_lines") != b.get("executed_lines")
            or sorted(map(tuple, a.get("executed_branches", []))) != sorted(map(tuple, b.get("executed_branches", [])))
            or a["summary"]["num_statements"] != b["summary"]["num_statements"]
        ):
            different.append(name)
    return different


def simulation(cfg: config.Config, fleets: Sequence[int] = (16, 64)) -> list[dict[str, float]]:
    """The heaviest worker against the ideal on larger fleets, from the seconds this run measured: no machine needed."""
    measured = durations.read(cfg.layout.output_dir)
    files = {t: s for t, s in measured.files.items() if (cfg.root / t).is_file()}
    rows = []
    for workers in fleets:
        heaviest, ideal = schedule.simulate(files, measured.tests, measured.collect, workers, measured.fixed_per_worker)
        rows.append({"workers": workers, "heaviest_s": round(heaviest, 3), "ideal_s": round(ideal, 3)})
    return rows


def worker_overhead(cfg: config.Config) -> tuple[float, float]:
    """Mean CPU seconds per worker session outside pytest, and the sum of the sessions' CPU, from the statuses."""
    outside, sessions = [], 0.0
    for worker in cfg.workers:
        record = status.read(cfg.layout.worker(worker.name).status)
        session, pytest_cpu = record.get("session_cpu_s"), record.get("pytest_cpu_s")
        if isinstance(session, int | float) and isinstance(pytest_cpu, int | float):
            outside.append(session - pytest_cpu)
            sessions += session
    return (sum(outside) / len(outside) if outside else float("nan")), sessions


# --------------------------------------------------------------------------- reporting


def verdicts(results: Mapping[str, Mapping[str, float]], overhead: float, equal: bool) -> list[str]:
    serial, xdist = results["serial"], results["xdist"]
    faster = min(serial["wall_s"], xdist["wall_s"])
    warm = results["covsplit-warm"]
    lines = []

    def verdict(ok: bool, text: str) -> None:
        lines.append(f"- {'met' if ok else 'NOT MET'}: {text}")

    if serial["wall_s"] >= LONG_RUN_S:
        verdict(warm["wall_s"] <= faster, f"warm {warm['wall_s']:.2f} s <= the faster baseline {faster:.2f} s")
        verdict(
            warm["cpu_s"] <= 1.3 * serial["cpu_s"],
            f"warm CPU {warm['cpu_s']:.2f} s <= 1.3 x serial CPU {serial['cpu_s']:.2f} s "
            f"({warm['cpu_s'] / serial['cpu_s']:.2f}x)",
        )
        if "covsplit-cold" in results:
            cold = results["covsplit-cold"]["wall_s"]
            verdict(cold <= 1.3 * faster, f"cold {cold:.2f} s <= 1.3 x the faster baseline ({cold / faster:.2f}x)")
    else:
        verdict(warm["wall_s"] <= 1.2 * faster, f"warm {warm['wall_s']:.2f} s <= 1.2 x the faster baseline "
                f"{faster:.2f} s ({warm['wall_s'] / faster:.2f}x; serial run under {LONG_RUN_S:g} s)")  # fmt: skip
        verdict(overhead < 0.5, f"covsplit's own CPU outside pytest {overhead:.2f} s per worker < 0.5 s")
    # Re-running what changed: the limits the issue set, against a full warm run of the same split.
    long_run = serial["wall_s"] >= LONG_RUN_S
    for name, limit in (("covsplit-edit", 0.5 if long_run else 0.7), ("covsplit-unchanged", 0.15 if long_run else 0.3)):
        if name in results:
            ratio = results[name]["wall_s"] / warm["wall_s"]
            verdict(ratio <= limit, f"{name} {results[name]['wall_s']:.2f} s <= {limit:g} x warm ({ratio:.2f}x)")
    verdict(equal, "combined coverage equals the serial run, file by file")
    return lines


def aggregate_cost(costs: Mapping[str, Sequence[Mapping[str, float]]]) -> dict[str, dict[str, float]]:
    """The median wall and CPU seconds of the aggregate and report after a full run and after an edit."""
    names = {"covsplit-warm": "after-full", "covsplit-edit": "after-edit"}
    return {
        names[name]: {key: statistics.median(float(c[key]) for c in samples) for key in ("wall_s", "cpu_s")}
        for name, samples in costs.items()
        if samples
    }


def _bytecode(written: bool) -> str:
    return "bytecode written (PYTHONDONTWRITEBYTECODE unset)" if written else "PYTHONDONTWRITEBYTECODE set"


def render(record: Mapping[str, Any], results: Mapping[str, Mapping[str, float]], notes: Sequence[str]) -> str:
    serial = results["serial"]
    faster = min(serial["wall_s"], results["xdist"]["wall_s"])
    lines = [
        f"## {_bytecode(record['bytecode_written'])[0].upper()}{_bytecode(record['bytecode_written'])[1:]}",
        "",
        f"Project `{record['project']}`, {record['workers']} workers, {record['cpus']} CPUs, "
        f"median of {record['runs']} alternating runs.  "
        f"Rerun: `make bench CONFIG={record['config']}`.",
        "",
        "| Contender | Wall s | CPU s | Peak MiB | Wall / faster of serial, xdist | CPU / serial | Wall / warm |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    warm = results["covsplit-warm"]["wall_s"]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['peak_mib']:,.0f} "
            f"| {r['wall_s'] / faster:.2f}x | {r['cpu_s'] / serial['cpu_s']:.2f}x | {r['wall_s'] / warm:.2f}x |"
        )
    if record.get("edited"):
        lines += ["", f"covsplit-edit appends a comment to `{record['edited']}` before each run."]
    lines += ["", "### Targets", "", *notes, "", "### Where covsplit's own time goes (CPU seconds, warm run)", ""]
    lines += record["overhead_lines"]
    if record.get("simulation"):
        lines += ["", "### A larger fleet, simulated from the measured seconds (covsplit.schedule.simulate)", ""]
        lines += [
            f"- {row['workers']} workers: heaviest {row['heaviest_s']:.2f} s, ideal {row['ideal_s']:.2f} s "
            f"({row['heaviest_s'] / row['ideal_s']:.2f}x)"
            for row in record["simulation"]
        ]
    if record["differences"]:
        lines += ["", "### Coverage that differs from the serial run", ""]
        lines += [f"- `{name}`" for name in record["differences"]]
    return "\n".join(lines) + "\n"


BYTECODE_SETTINGS = {"set": False, "unset": True}


def forget_bytecode(cfg: config.Config) -> None:
    """Remove the bytecode earlier runs wrote, so a run with PYTHONDONTWRITEBYTECODE set compiles as a CI image does.

    Python reads a ``.pyc`` it finds whatever the variable says: after a
    pass that wrote them, the next pass would measure a developer's machine.
    """
    places = [cfg.root, REPO / "scripts", REPO / "bench", REPO / ".nox" / envdir_name(cfg.path, cfg.root)]
    for place in places:
        for cache in sorted(place.rglob("__pycache__"), reverse=True) if place.is_dir() else ():
            shutil.rmtree(cache, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3; the median of each is reported)")
    parser.add_argument("--skip-cold", action="store_true", help="leave out the cold run")
    parser.add_argument(
        "--skip", action="append", default=[], choices=CONTENDERS[2:], help="leave out this contender (repeatable)"
    )
    parser.add_argument(
        "--bytecode",
        choices=["both", *BYTECODE_SETTINGS],
        default="both",
        help="PYTHONDONTWRITEBYTECODE set (as in many CI images), unset (as on a developer's machine), or both "
        "(default: one pass each, set first)",
    )
    args = parser.parse_args(argv)

    cfg = config.load(os.environ.get("COVSPLIT_CONFIG", REPO / "workers.toml"))
    cfg.layout.output_dir.mkdir(parents=True, exist_ok=True)
    settings = list(BYTECODE_SETTINGS) if args.bytecode == "both" else [args.bytecode]
    records, texts = [], []
    saved = os.environ.get("PYTHONDONTWRITEBYTECODE")
    try:
        for setting in settings:
            # Every contender and everything it starts inherits this process's environment.
            if BYTECODE_SETTINGS[setting]:
                os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
            else:
                os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
                forget_bytecode(cfg)
            record, text = one_pass(cfg, args)
            records.append(record)
            texts.append(text)
    finally:
        if saved is None:
            os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        else:
            os.environ["PYTHONDONTWRITEBYTECODE"] = saved
    fsio.write_json(
        cfg.layout.bench_json,
        {"project": cfg.root.name, "cpus": os.cpu_count() or 1, "runs": args.repeat, "settings": records},
    )
    text = "# covsplit benchmark\n\n" + "\n".join(texts)
    fsio.write_text(cfg.layout.bench_md, text)
    print(text)
    return 0


def one_pass(cfg: config.Config, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """Every contender, alternating and repeated, under this process's bytecode setting: the record and its text."""
    scratch = Path(tempfile.mkdtemp(prefix="covsplit-bench-"))
    log = scratch / "bench.log"
    edited = EditedTestFile(cfg)
    try:
        python = baseline_python(cfg)
        field = contenders(cfg, python, scratch, log, edited)
        skipped = {*args.skip, *(["covsplit-cold"] if args.skip_cold else [])}
        field = [c for c in field if c.name not in skipped]
        # Warm-up: make the worker virtualenvs and every output folder once; not timed.
        for contender in field:
            if contender.name != "covsplit-cold":
                contender.run()
        overheads, outside_sessions = [], []
        # The aggregate and report inside a full run and an incremental one, as they measured themselves.
        aggregate_costs: dict[str, list[dict[str, float]]] = {"covsplit-warm": [], "covsplit-edit": []}
        for _round in range(args.repeat):
            for contender in field:
                # A run whose aggregate did not finish leaves no cost, not an earlier run's.
                cfg.layout.aggregate_cost.unlink(missing_ok=True)
                sample = contender.run()
                contender.samples.append(sample)
                print(f"{contender.name}: {sample.wall_s:.2f} s wall, {sample.cpu_s:.2f} s CPU", file=sys.stderr)
                cost = fsio.read_json(cfg.layout.aggregate_cost)
                if contender.name in aggregate_costs and isinstance(cost, dict):
                    aggregate_costs[contender.name].append(cost)
                if contender.name == "covsplit-warm":
                    per_worker, sessions = worker_overhead(cfg)
                    overheads.append(per_worker)
                    outside_sessions.append(sample.cpu_s - sessions)
        crashed = [c.name for c in field for s in c.samples if s.returncode not in (0, 1, 2)]
        results = {
            c.name: {"wall_s": c.median("wall_s"), "cpu_s": c.median("cpu_s"), "peak_mib": c.median("peak_mib")}
            for c in field
        }
        serial_json = json.loads((scratch / "serial" / "coverage.json").read_text())
        differences = coverage_differences(fsio.read_json(cfg.layout.combined_json) or {}, serial_json)
        overhead = statistics.median(overheads)
        record: dict[str, Any] = {
            "bytecode_written": not os.environ.get("PYTHONDONTWRITEBYTECODE"),
            "contenders": [{"name": name, **values} for name, values in results.items()],
            "combined_equals_serial": not differences,
            "edited": str(edited.path.relative_to(cfg.root)) if edited.path else None,
            "overhead_s_per_worker": round(overhead, 3),
            "differences": differences,
            "simulation": simulation(cfg),
            "aggregate": aggregate_cost(aggregate_costs),
        }
        notes = verdicts(results, overhead, not differences)
        if crashed:
            notes.append(f"- runs that ended with an unexpected status (see {log}): {', '.join(sorted(set(crashed)))}")
        rest = statistics.median(outside_sessions)
        text = render(
            {
                **record,
                "project": cfg.root.name,
                "cpus": os.cpu_count() or 1,
                "runs": args.repeat,
                "workers": len(cfg.workers),
                "config": cfg.path,
                "overhead_lines": [
                    f"- each worker session outside its pytest (nox, virtualenv check, driver): {overhead:.2f} s",
                    f"- the rest of the run (make, nox's parent, aggregate, report): {rest:.2f} s",
                    *(
                        f"- the aggregate and report {when}: {cost['wall_s']:.2f} s wall, {cost['cpu_s']:.2f} s CPU"
                        for when, cost in record["aggregate"].items()
                    ),
                ],
            },
            results,
            notes,
        )
        return record, text
    finally:
        edited.restore()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
