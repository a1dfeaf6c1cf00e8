"""Unit tests of covsplit.plan and of covsplit.planner.make_plan as a whole.

A whole plan (folders, tests, --by duration, shared files) and the command
that prints and writes it; each step of the planner has its own file.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from plan_helpers import conventional_tests, inputs_for, write_project

from covsplit import (
    check,
    cli,
    config,
    durations,
    exits,
    plan_inputs,
    plan_model,
    run_once,
    schedule,
    schedule_file,
)
from covsplit.packing import PlanError, ratio
from covsplit.planner import make_plan

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "plan_spec" / "modules.json"
TITLE_STYLE = re.compile(r"^[A-Z][\w ]* \([A-Z][\w ]*\)( \+ [A-Z][\w ]*)*$")


# --------------------------------------------------------------------------- helpers


def write_durations(
    output: Path,
    worker: str,
    seconds: dict[str, float],
    fixed: float = 0.0,
    tests: dict[str, dict[str, float]] | None = None,
) -> None:
    """A worker's durations file as the driver writes it: seconds per test file (and per test) and the fixed cost."""
    output.mkdir(parents=True, exist_ok=True)
    wall = fixed + sum(seconds.values())
    record = {"schema": 1, "worker": worker, "wall_s": wall, "fixed_s": fixed, "files": seconds, "tests": tests or {}}
    (output / f"{worker}_durations.json").write_text(json.dumps(record))


def test_spec_modules_balance_far_better_than_the_hand_made_split() -> None:
    spec = json.loads(SPEC.read_text())["workers"]
    by_hand = [sum(w["modules"].values()) for w in spec.values()]
    assert by_hand == [956, 1891, 3055, 2024, 735]
    assert ratio(by_hand) == pytest.approx(1.7637, abs=1e-4)

    modules = {f: n for w in spec.values() for f, n in w["modules"].items()}
    tests = conventional_tests(modules)
    # Asked for the tightest balance (a tolerance of 1): plain greedy on the same modules reaches 1.006.
    tight = make_plan(inputs_for(modules, tests, tolerance=1.0), 5)
    assert sum(w.statements for w in tight.workers) == 8661
    assert tight.ratio <= 1.006
    # Light packages stay whole: conversion (956) and models (232) are below the 1,732 target.
    owned = [m for w in tight.workers for m in w.modules]
    assert "conversion" in owned and "models" in owned
    assert not any(m.startswith("conversion.") for m in owned)
    # Within the default tolerance folders come first: fewer of them are cut, and the plan says what it traded.
    coherent = make_plan(inputs_for(modules, tests), 5)
    assert tight.ratio < coherent.ratio <= 1.10
    assert scattered(coherent) < scattered(tight)
    assert any(note.startswith("folders first:") for note in coherent.notes)


def scattered(result: plan_model.Plan) -> int:
    """How many (worker, top folder) pairs a plan has: 5 when each of 5 workers keeps to one folder."""
    return sum(len({m.split(".")[0] for m in w.modules}) for w in result.workers)


# --------------------------------------------------------------------------- folder coherence


def test_light_folders_are_never_split() -> None:
    modules = {f"{pkg}/m{i}.py": 10 for pkg in ("alpha", "beta", "gamma") for i in range(3)}
    modules |= {f"{pkg}/__init__.py": 1 for pkg in ("alpha", "beta", "gamma")}
    result = make_plan(inputs_for(modules, conventional_tests(modules)), 3)
    assert sorted(w.modules for w in result.workers) == [("alpha",), ("beta",), ("gamma",)]


def test_a_folder_is_split_only_when_heavier_than_the_target() -> None:
    big = {f"big/m{i:02}.py": 20 for i in range(12)}  # 240, target (240 + 60) / 3 = 100
    small = {"small/a.py": 30, "small/b.py": 30}
    modules = big | small
    result = make_plan(inputs_for(modules, conventional_tests(modules)), 3)
    owned = [m for w in result.workers for m in w.modules]
    assert "small" in owned and "small.a" not in owned
    assert "big" not in owned and sum(m.startswith("big.") for m in owned) == 12
    assert result.ratio == pytest.approx(1.0)
    # The worker with the small folder takes no more than it needs from the big one.
    with_small = next(w for w in result.workers if "small" in w.modules)
    assert len(with_small.modules) == 3


def test_workers_draw_on_few_folders() -> None:
    # Four equal packages of small modules on three workers: one package must be shared
    # (keeping all four whole gives max/mean 1.5), and only one.
    modules = {f"{pkg}/m{i:02}.py": 7 + (i % 3) for pkg in ("a", "b", "c", "d") for i in range(12)}
    result = make_plan(inputs_for(modules, conventional_tests(modules)), 3)
    tops = [{m.split(".")[0] for m in w.modules} for w in result.workers]
    assert sorted(len(t) for t in tops) == [2, 2, 2]
    shared = [pkg for pkg in "abcd" if sum(pkg in t for t in tops) > 1]
    assert len(shared) == 1
    assert [w.modules for w in result.workers if shared[0] not in {m.split(".")[0] for m in w.modules}] == []
    assert sorted(m for w in result.workers for m in w.modules if "." not in m) == sorted(set("abcd") - set(shared))
    assert result.ratio == pytest.approx(1.0)


def test_unnameable_module_keeps_its_folder_whole(tmp_path: Path) -> None:
    modules = {"evaluation/8-ball-eval.py": 50, "evaluation/a.py": 50, "evaluation/b.py": 50, "other/x.py": 10}
    write_project(tmp_path, modules, conventional_tests(modules))
    inputs = inputs_for(modules, conventional_tests(modules), nameable=plan_inputs.resolver_check(tmp_path, "."))
    result = make_plan(inputs, 2)
    assert ("evaluation",) in [w.modules for w in result.workers]
    assert any("evaluation/ is heavier than the target but is kept whole" in note for note in result.notes)


# --------------------------------------------------------------------------- tests partition


def test_every_test_runs_in_exactly_one_worker(tmp_path: Path) -> None:
    modules = {f"pkg{p}/m{i}.py": 5 + 7 * i + p for p in range(3) for i in range(5)}
    tests = conventional_tests(modules) + [f"tests/e2e/test_flow{i}.py" for i in range(4)] + ["tests/test_misc.py"]
    write_project(tmp_path, modules, tests)
    nodes = {f"{t}::test_{k}": t for t in tests for k in range(3)}
    for n in (1, 2, 4, 6):
        result = make_plan(inputs_for(modules, tests), n)
        assert all(w.tests and w.modules for w in result.workers)
        # The written entries (folders collapsed) expand to every test file, for each worker that lists them.
        listed = {
            w.name: {t for e in w.tests for t in plan_inputs.expand_tests(tmp_path, e, tests)} for w in result.workers
        }
        assert set().union(*listed.values()) == set(tests)
        assert all(isinstance(entry, schedule_file.DealtPath) for entry in result.shared.values())
        dealt = {entry.dealt_to: run_once.deal(nodes, entry) for entry in result.shared.values()}
        runs: Counter[str] = Counter()
        for worker in result.workers:
            for node, file in nodes.items():
                found = run_once.entry_for(file, result.shared)
                if file in listed[worker.name] and (found is None or dealt[found[1].dealt_to][node] == worker.name):
                    runs[node] += 1
        assert runs == dict.fromkeys(nodes, 1), n


# --------------------------------------------------------------------------- --by duration


def test_by_duration_makespan_within_5_percent_of_ideal(tmp_path: Path) -> None:
    rng = random.Random(7)
    modules = {f"{pkg}/m{i}.py": rng.randint(5, 200) for pkg in ("a", "b", "c", "d") for i in range(10)}
    tests = conventional_tests(modules) + [f"tests/e2e/test_e2e{i}.py" for i in range(3)]
    write_project(tmp_path, modules, tests)
    # Durations unrelated to statements, as on the real project; two files never measured.
    seconds = {t: round(rng.uniform(0.2, 12.0), 3) for t in tests[:-2]}
    seconds["tests/e2e/test_e2e0.py"] = 25.0
    output = tmp_path / "coverage_output"
    write_durations(output, "worker1", dict(list(seconds.items())[:20]), fixed=1.0)
    write_durations(output, "worker2", dict(list(seconds.items())[20:]), fixed=2.0)
    # A file two earlier workers both ran weighs the mean of its two measurements.
    write_durations(output, "worker3", {tests[0]: seconds[tests[0]] + 2.0}, fixed=3.0)
    (output / "worker4_durations.json").write_text('{"schema": 1, "fil')  # a killed writer's
    measured = durations.read(output)
    assert measured.files == pytest.approx(seconds | {tests[0]: seconds[tests[0]] + 1.0})
    assert measured.fixed_per_worker == pytest.approx(2.0)
    seconds = dict(measured.files)

    average = sum(seconds.values()) / len(seconds)
    expected = {t: seconds.get(t, average) for t in tests}
    for n in (2, 3, 5):
        inputs = inputs_for(modules, tests, durations=seconds, fixed=2.0)
        result = make_plan(inputs, n, schedule.BY_DURATION)
        times = [2.0 + sum(expected[t] for t in w.test_files) for w in result.workers]
        ideal = 2.0 + max(sum(expected.values()) / n, max(expected.values()))
        assert max(times) <= 1.05 * ideal
        assert result.ideal == pytest.approx(ideal)
        assert [w.seconds for w in result.workers] == pytest.approx(times, abs=1e-2)
        # Ownership is the statements plan's either way: only the tests moved.
        by_statements = make_plan(inputs, n)
        assert [w.files for w in by_statements.workers] == [w.files for w in result.workers]
        assert max(2.0 + sum(expected[t] for t in w.test_files) for w in by_statements.workers) <= 1.05 * ideal


def test_tests_of_one_module_executed_by_every_test_spread_over_all_workers() -> None:
    # The class-decorator library: almost every test file exercises its one big module.
    modules = {"attrlib/_make.py": 900, **{f"attrlib/m{i}.py": 40 for i in range(8)}}
    tests = [f"tests/test_make_{i}.py" for i in range(21)] + [f"tests/test_m{i}.py" for i in range(4)]
    rng = random.Random(3)
    seconds = {t: round(rng.uniform(0.5, 4.0), 3) for t in tests}
    for n in (3, 5):
        result = make_plan(inputs_for(modules, tests, durations=seconds, fixed=0.8), n, schedule.BY_DURATION)
        loads = [w.seconds for w in result.workers]
        assert max(loads) <= 1.10 * result.ideal
        owners = [w.name for w in result.workers if "attrlib/_make.py" in w.files]
        assert len(owners) == 1  # one worker answers for the module...
        assert all(w.test_files for w in result.workers)  # ...every worker runs some of its tests


def test_by_duration_keeps_the_ownership_of_workers_toml() -> None:
    modules = {"a/x.py": 30, "a/y.py": 40, "b/z.py": 50}
    tests = ["tests/a/test_x.py", "tests/a/test_y.py", "tests/b/test_z.py", "tests/test_slow.py"]
    old = [
        plan_inputs.OldWorker("w1", "A Things (hand named)", ("a",), ("a/x.py", "a/y.py"), tuple(tests[:2])),
        plan_inputs.OldWorker("w2", "Yours", ("b",), ("b/z.py",), tuple(tests[2:])),
    ]
    seconds = {tests[0]: 1.0, tests[1]: 1.0, tests[2]: 1.0, tests[3]: 9.0}
    result = make_plan(inputs_for(modules, tests, durations=seconds), 2, schedule.BY_DURATION, old)
    # A hand-written title stays while it names what the worker owns; "Yours" never did.
    assert [(w.name, w.title, w.modules) for w in result.workers] == [
        ("w1", "A Things (hand named)", ("a",)),
        ("w2", "B (All Modules)", ("b",)),
    ]
    assert sorted(len(w.test_files) for w in result.workers) == [1, 3]  # the slow file runs alone
    assert max(w.seconds for w in result.workers) == pytest.approx(9.0)


def test_by_duration_without_recorded_durations_is_an_error() -> None:
    modules = {"a/x.py": 3, "a/y.py": 4}
    with pytest.raises(PlanError, match="no measured durations"):
        make_plan(inputs_for(modules, conventional_tests(modules)), 2, schedule.BY_DURATION)


# --------------------------------------------------------------------------- workers.toml


WORKERS_TOML = """\
# The split of the demo project.  Keep this comment.

[project]
root = "demo"          # the project under test
source = ["conversion", "training", "models"]
tests = "tests"
install = ["-e ."]
timeout = 120          # seconds

[thresholds]
line = 75
branch = 85
balance = 1.3          # max/mean tolerance

[workers.worker1]
title = "Conversion (Hand Named)"   # keep this title
timeout = 60
modules = ["conversion"]
tests = ["tests/conversion"]

[workers.worker2]
title = "Everything Else"
modules = ["training.gone", "models"]
tests = ["tests/models"]
"""

DEMO_MODULES = {
    "conversion/__init__.py": -1,
    "conversion/export.py": 90,
    "conversion/shapes.py": 60,
    "training/__init__.py": -1,
    "training/distill.py": 200,
    "training/losses.py": 120,
    "training/data.py": 80,
    "training/utils.py": 30,
    "models/__init__.py": -1,
    "models/gqa.py": 70,
}


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    modules = {k: max(v, 0) if v >= 0 else -1 for k, v in DEMO_MODULES.items()}
    for rel, count in modules.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("" if count < 0 else "\n".join(f"v{i} = {i}" for i in range(count)) + "\n")
    write_project(
        root, {}, [*conventional_tests({k: v for k, v in DEMO_MODULES.items() if v >= 0}), "tests/e2e/test_flow.py"]
    )
    (tmp_path / "workers.toml").write_text(WORKERS_TOML)
    return tmp_path / "workers.toml"


def test_plan_writes_a_split_that_loads_and_keeps_settings_comments_titles(
    suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["plan", "--config", str(suite), "--workers", "3"]) == 0
    text = suite.read_text()
    cfg = config.load(suite)  # round trip: the written file is a valid split

    assert text.startswith(WORKERS_TOML.split("[workers.worker1]")[0])  # comments and settings untouched
    # worker1 now owns models too: its hand-written title no longer says so, and is derived anew.
    assert 'title = "Conversion (All Modules) + Models"   # keep this title' in text
    assert (cfg.line_threshold, cfg.branch_threshold, cfg.balance_tolerance) == (75, 85, 1.3)
    assert "training.gone" not in text
    assert len(cfg.workers) == 3 and not cfg.unowned
    # Every module is owned (blank __init__.py files of split folders need no owner).
    assert {f for w in cfg.workers for f in w.files} >= {f for f in cfg.all_files() if DEMO_MODULES[f] >= 0}
    survivor = cfg.worker("worker1")
    assert survivor.timeout == 60 and "conversion" in survivor.modules
    for worker in cfg.workers:
        assert TITLE_STYLE.match(worker.title) or worker.name == "worker1", worker.title

    out = capsys.readouterr().out
    assert re.search(r"max/mean statements\s+\| \d\.\d{3} -> \d\.\d{3}", out)
    assert "before" in out and "after" in out and "wrote" in out


def test_plan_twice_is_stable_and_default_workers_is_the_current_count(suite: Path, monkeypatch) -> None:
    monkeypatch.setenv("COVSPLIT_CONFIG", str(suite))
    assert cli.main(["plan", "--workers", "3"]) == 0
    first = suite.read_text()
    assert (
        cli.main(
            [
                "plan",
            ]
        )
        == 0
    )
    assert suite.read_text() == first


def test_dry_run_prints_without_writing(suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--config", str(suite), "--workers", "2", "--dry-run"]) == 0
    assert suite.read_text() == WORKERS_TOML
    out = capsys.readouterr().out
    assert "dry run: not written" in out
    # Old split (1 conversion worker, 1 models worker, training unowned) vs the new one.
    assert re.search(r"worker1\s+Conversion \(Hand Named\)\s+150 .*\| worker1", out)
    assert "training.gone" in out  # the old split's vanished module is named


def test_plan_errors(suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--config", str(suite), "--workers", "50"]) == 1
    assert "50 workers but only 7 modules" in capsys.readouterr().err
    assert cli.main(["plan", "--config", str(suite), "--by", "duration"]) == 1
    assert "no measured durations" in capsys.readouterr().err
    suite.write_text(WORKERS_TOML.replace('root = "demo"', 'root = "nowhere"'))
    assert cli.main(["plan", "--config", str(suite)]) == exits.CONFIG
    assert "project.root" in capsys.readouterr().err
    assert cli.main(["plan", "--config", str(suite.parent / "missing.toml")]) == exits.CONFIG


def test_plan_by_duration_from_measured_durations(suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = suite.parent / "demo"
    tests = sorted(p.relative_to(root).as_posix() for p in (root / "tests").rglob("test_*.py"))
    seconds = {t: 1.0 for t in tests}
    seconds["tests/models/test_gqa.py"] = 30.0  # few statements, slow tests
    write_durations(suite.parent / "coverage_output", "worker1", seconds, fixed=0.5)
    assert cli.main(["plan", "--config", str(suite), "--workers", "2", "--by", "duration"]) == 0
    cfg = config.load(suite)
    slow = next(w for w in cfg.workers if "tests/models/test_gqa.py" in w.tests or "tests/models" in w.tests)
    # The slow file runs alone: LPT gives it a worker of its own.
    assert [t for e in slow.tests for t in plan_inputs.expand_tests(root, e, tests)] == ["tests/models/test_gqa.py"]
    out = capsys.readouterr().out
    assert "max/mean seconds" in out
    # 37 s of tests in 8 files, 30 s in one, 0.5 s fixed per worker: the ideal is that file, and the plan reaches it.
    assert "heaviest worker: 30.50 s, +0.0% from the ideal 30.50 s" in out
    assert "37.00 s measured (8 test files, collection included) = 100%" in out


def test_titles_name_every_folder_and_a_shared_title_is_replaced() -> None:
    modules = {"alpha/a.py": 50, "beta/b.py": 50, "gamma/c.py": 50, "delta/d.py": 50, "omega/o.py": 400}
    tests = conventional_tests(modules)
    old = [
        plan_inputs.OldWorker("w1", "Greek (Large Core Modules)", ("alpha", "beta", "gamma", "delta"),
                       ("alpha/a.py", "beta/b.py", "delta/d.py", "gamma/c.py"), ()),
        plan_inputs.OldWorker("w2", "Greek (Large Core Modules)", ("omega",), ("omega/o.py",), ()),
    ]  # fmt: skip
    result = make_plan(inputs_for(modules, tests), 2, old=old)
    titles = {w.name: w.title for w in result.workers}
    assert len(set(titles.values())) == 2
    many = next(w for w in result.workers if len(w.modules) == 4)
    # Every folder is named, not "+ 2 more".
    assert all(label in many.title for label in ("Alpha", "Beta", "Gamma", "Delta")), many.title


def test_folders_first_within_the_tolerance_on_the_bundled_example() -> None:
    # The example: at a 1.007 balance the planner scattered training modules into an Evaluation
    # worker and four folders into one. Within the default tolerance (1.10) it keeps folders together.
    from dataclasses import replace

    repo = Path(__file__).resolve().parents[2]
    inputs = replace(plan_inputs.gather(config.load(repo / "workers.toml")), tolerance=1.10)
    result = make_plan(inputs, 5)
    assert result.ratio <= 1.10
    tops = [{m.split(".")[0] for m in w.modules} for w in result.workers]
    assert max(len(t) for t in tops) <= 2, tops
    assert any(note.startswith("folders first:") and "the tightest balance" in note for note in result.notes)
    # Titles name every top folder a worker draws from.
    for worker, drawn in zip(result.workers, tops, strict=True):
        assert all(top.capitalize() in worker.title for top in drawn), (worker.title, drawn)


def test_a_split_held_up_by_one_heavy_module_is_kept() -> None:
    # a/big.py alone is twice an even share: no plan gets below max/mean 2.0, so a split at 2.0 stands
    # (what check passes, plan keeps) and one further off does not.
    modules = {"a/big.py": 300, "a/x.py": 50, "b/y.py": 50, "b/z.py": 50}
    tests = conventional_tests(modules)

    def old(*groups: tuple[str, ...]) -> list[plan_inputs.OldWorker]:
        return [
            plan_inputs.OldWorker(
                f"worker{i}", f"W{i}", tuple(f.removesuffix(".py").replace("/", ".") for f in files), files, ()
            )
            for i, files in enumerate(groups, 1)
        ]

    kept = old(("a/big.py",), ("a/x.py", "b/y.py"), ("b/z.py",))
    result = make_plan(inputs_for(modules, tests), 3, old=kept)
    assert [w.files for w in result.workers] == [w.files for w in kept]
    assert any("ownership kept" in note and "times 2.000, the floor" in note for note in result.notes)
    # big.py with a neighbour: 350 against the floor's 300, so the planner moves the neighbour off.
    crowded = old(("a/big.py", "a/x.py"), ("b/y.py",), ("b/z.py",))
    result = make_plan(inputs_for(modules, tests), 3, old=crowded)
    assert not any("ownership kept" in note for note in result.notes)
    assert result.ratio == 2.0


def test_a_file_heavier_than_a_share_is_shared_through_the_schedule_file(
    suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = suite.parent / "demo"
    tests = sorted(p.relative_to(root).as_posix() for p in (root / "tests").rglob("test_*.py"))
    seconds = {t: 1.0 for t in tests}
    slow = "tests/models/test_gqa.py"
    nodes = {f"{slow}::TestAttention::test_{i}": 3.0 for i in range(5)} | {
        f"{slow}::test_p[{i}]": 3.0 for i in range(5)
    }
    seconds[slow] = 30.0
    write_durations(suite.parent / "coverage_output", "worker1", seconds, fixed=0.5, tests={slow: nodes})
    assert cli.main(["plan", "--config", str(suite), "--workers", "2", "--by", "duration"]) == 0
    out = capsys.readouterr().out
    schedule = suite.parent / "workers.schedule.json"
    assert f"wrote {schedule}" in out
    cfg = config.load(suite)
    # Both workers list the file in workers.toml; the schedule says which parts each runs.
    assert set(cfg.shared) == {slow}
    entry = cfg.shared[slow]
    assert entry.workers == {"worker1", "worker2"}
    for worker in cfg.workers:
        assert slow in worker.tests
    # Every measured test runs in exactly one worker.
    runs = {node: [w.name for w in cfg.workers if run_once.runs_here(node, entry, w.name)] for node in nodes}
    assert all(len(names) == 1 for names in runs.values())
    # 37 s + 2 x 0.5 s over two workers: the heaviest is within 10% of the ideal (not the 30.5 s of the whole file).
    heaviest = float(re.search(r"heaviest worker: ([\d.]+) s", out).group(1))
    assert heaviest <= 1.10 * (37.0 / 2 + 0.5)
    assert check.run(suite, by="duration") == 0
    # A plan that no longer shares any file removes the schedule.
    write_durations(suite.parent / "coverage_output", "worker1", {t: 1.0 for t in tests}, fixed=0.5)
    assert cli.main(["plan", "--config", str(suite), "--workers", "2", "--by", "duration"]) == 0
    assert not schedule.exists() and config.load(suite).shared == {}


def test_before_any_run_the_tests_are_dealt_so_a_slow_file_is_spread_over_every_worker(tmp_path: Path) -> None:
    modules = {f"pkg/m{i}.py": 20 for i in range(4)}
    tests = conventional_tests(modules)
    write_project(tmp_path, modules, tests)
    result = make_plan(inputs_for(modules, tests), 3)
    names = [w.name for w in result.workers]
    # Every worker lists the whole suite; the schedule deals it to them in this order.
    assert [w.tests for w in result.workers] == [("tests",)] * 3
    assert result.shared == {"tests": schedule_file.DealtPath.among(names)}
    assert any("dealt round-robin to the 3 workers" in note for note in result.notes)
    # Nine slow tests in one file and one test in each other file: each worker runs three of the slow ones,
    # where a whole file per worker (by names or by counts) would give one worker all nine.
    slow = {f"tests/pkg/test_m0.py::test_slow[{i}]": "tests/pkg/test_m0.py" for i in range(9)}
    others = {f"{t}::test_ok": t for t in tests[1:]}
    dealt = run_once.deal({**slow, **others}, result.shared["tests"])
    assert sorted(Counter(dealt[node] for node in slow).values()) == [3, 3, 3]
    assert set(dealt.values()) == set(names)


def test_a_dealt_plan_loads_passes_check_and_stops_when_keep_together_changes_under_it(
    suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["plan", "--config", str(suite), "--workers", "3"]) == 0
    schedule = suite.parent / "workers.schedule.json"
    assert f"wrote {schedule}" in capsys.readouterr().out
    cfg = config.load(suite)
    assert cfg.shared == {"tests": schedule_file.DealtPath.among([w.name for w in cfg.workers])}
    assert all(w.tests == ("tests",) for w in cfg.workers)
    # Every test file listed by all three is dealt, not "run twice".
    assert check.run(suite) == 0
    # keep_together added without planning again: the deal would separate the group, so the config says so.
    text = suite.read_text().replace("[project]\n", '[project]\nkeep_together = [["tests/e2e/test_flow.py"]]\n', 1)
    suite.write_text(text)
    with pytest.raises(config.ConfigError, match=r"files\.tests\.together.*differs from project\.keep_together"):
        config.load(suite)
    assert cli.main(["plan", "--config", str(suite), "--workers", "3"]) == 0
    assert config.load(suite).shared["tests"].together == (("tests/e2e/test_flow.py",),)
