"""check: every problem of a split against the code, in one run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covsplit import cli, config, exits

MODULES = {
    "app/__init__.py": -1,  # blank: needs no owner
    "app/core.py": 40,
    "app/extra.py": 40,
    "app/io.py": 20,
    "lib/__init__.py": 2,
    "lib/util.py": 30,
}
TESTS = ["tests/app/test_core.py", "tests/app/test_extra.py", "tests/app/test_io.py", "tests/lib/test_util.py"]

GOOD = """\
# A valid split.
[project]
root = "proj"
source = ["app", "lib"]
tests = "tests"

[thresholds]
balance = 1.25

[workers.worker1]
title = "App (Large Core Modules)"
modules = ["app.core", "app.io"]
tests = ["tests/app/test_core.py", "tests/app/test_io.py"]

[workers.worker2]
title = "App (Small Modules) + Lib"
modules = ["app.extra", "lib"]
tests = ["tests/app/test_extra.py", "tests/lib"]
"""

# Every kind of problem at once.
BAD = """\
[project]
root = "proj"
source = ["app", "lib"]
tests = "tests"

[thresholds]
balance = 1.1

[workers.worker1]
title = "One"
modules = ["app.core", "app.renamed", "lib.util"]
tests = ["tests/app", "tests/gone.py"]
colour = "blue"

[workers.worker2]
title = "Two"
modules = ["lib", "app.io"]
tests = ["tests/app/test_io.py"]

[workers.Worker1]
modules = ["lib.__init__"]
tests = ["tests/lib/conftest.py"]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    for rel, count in MODULES.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("" if count < 0 else "\n".join(f"v{i} = {i}" for i in range(count)) + "\n")
    for rel in [*TESTS, "tests/lib/conftest.py"]:
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("def test_ok():\n    assert True\n")
    return tmp_path


def test_a_valid_split_passes_with_one_line(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "workers.toml").write_text(GOOD)
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("covsplit check: OK: 2 workers own 5 modules (132 statements) and run 4 test files")
    assert "max/mean 1.09 by statements (tolerance 1.25)" in out[0]  # 72 / 66


def test_every_problem_is_reported_in_one_run(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "workers.toml").write_text(BAD)
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == exits.FAILED
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("  - ")]
    assert out.startswith(f"covsplit check: {len(lines)} problems in ")

    def has(kind: str, *words: str) -> bool:
        return any(f"[{kind}]" in line and all(w in line for w in words) for line in lines)

    assert has("missing-module", "workers.worker1.modules[1]", "'app.renamed'")
    assert has("unowned", "app/extra.py")
    assert not has("unowned", "app/__init__.py")  # blank
    assert has("owned-twice", "lib/util.py", "worker1 (lib.util)", "worker2 (lib)")
    assert has("owned-twice", "app/io.py", "worker1") is False  # app.io is worker2's only
    assert has("owned-twice", "lib/__init__.py", "Worker1 (lib.__init__)", "worker2 (lib)")
    assert has("unrun-test", "tests/lib/test_util.py")
    assert has("test-twice", "tests/app/test_io.py", "worker1 (tests/app)", "worker2 (tests/app/test_io.py)")
    assert has("missing-test", "workers.worker1.tests[1]", "tests/gone.py")
    assert has("missing-test", "workers.Worker1.tests[0]", "tests/lib/conftest.py is not a test file")
    assert has("idle-worker", "workers.Worker1")
    assert has("config", "workers.worker1.colour", "unknown key")
    assert has("config", "workers.Worker1", "case-insensitive")
    assert has("balance", "max/mean", "exceeds thresholds.balance = 1.1", "worker1 70 statements")


def test_unusable_settings_exit_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "workers.toml").write_text(GOOD.replace('source = ["app", "lib"]', 'source = ["nothing"]'))
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == exits.CONFIG
    assert "project.source[0]" in capsys.readouterr().err
    (root / "workers.toml").write_text(GOOD + "\n[workers.worker1]\nmodules = []\n")
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == exits.CONFIG
    assert "two workers named 'worker1'" in capsys.readouterr().err


def test_balance_by_duration(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "workers.toml").write_text(GOOD)
    assert cli.main(["check", "--config", str(root / "workers.toml"), "--by", "duration"]) == 1
    assert "no measured durations" in capsys.readouterr().out
    seconds = {"tests/app/test_core.py": 9.0, "tests/lib/test_util.py": 1.0}
    record = {"schema": 1, "worker": "worker1", "wall_s": 10.5, "fixed_s": 0.5, "files": seconds}
    (root / "coverage_output").mkdir()
    (root / "coverage_output" / "worker1_durations.json").write_text(json.dumps(record))
    # worker1: 0.5 s fixed + core 9 s + io (unmeasured: the mean, 5 s) = 14.5 s;
    # worker2: 0.5 s fixed + extra 5 s + util 1 s = 6.5 s.
    assert cli.main(["check", "--config", str(root / "workers.toml"), "--by", "duration"]) == 1
    assert "worker1 14.5 s, worker2 6.5 s" in capsys.readouterr().out


def test_a_module_heavier_than_a_share_sets_the_floor(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # attrs' attr/_make.py alone outweighs a fifth of the library: "run plan to rebalance" could never be met.
    (root / "proj" / "app" / "core.py").write_text("".join(f"v{i} = {i}\n" for i in range(200)))
    (root / "workers.toml").write_text(GOOD)
    # worker1 220 statements (core 200 + io 20), worker2 72: max/mean 1.51, and no split goes below 200 / 146.
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == 0
    out = capsys.readouterr().out
    assert "max/mean 1.51 by statements (tolerance 1.25 times the floor: no split gets below 1.37, since" in out
    assert "app/core.py alone is 200 statements" in out
    # The tolerance still counts: 1.05 x 1.37 = 1.44 is under 1.51.
    (root / "workers.toml").write_text(GOOD.replace("balance = 1.25", "balance = 1.05"))
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == exits.FAILED
    out = capsys.readouterr().out
    assert "max/mean 1.51 exceeds thresholds.balance = 1.05 times the floor (no split gets below 1.37" in out


def test_a_planned_split_passes_check(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "workers.toml").write_text(BAD.split("[workers.worker1]")[0].replace("1.1", "1.3"))
    assert cli.main(["plan", "--config", str(root / "workers.toml"), "--workers", "2"]) == 0
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == 0
    assert "OK" in capsys.readouterr().out


def test_titles_that_no_longer_fit_are_pointed_out(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = GOOD.replace('title = "App (Small Modules) + Lib"', 'title = "App (Small Modules)"')
    (root / "workers.toml").write_text(stale)
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == 1
    out = capsys.readouterr().out
    assert "workers.worker2: title 'App (Small Modules)' does not name Lib" in out
    shared = GOOD.replace('title = "App (Small Modules) + Lib"', 'title = "App (Large Core Modules) + Lib"').replace(
        'title = "App (Large Core Modules)"', 'title = "App (Large Core Modules) + Lib"'
    )
    (root / "workers.toml").write_text(shared)
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == 1
    assert "is shared by 2 workers" in capsys.readouterr().out
    (root / "workers.toml").write_text(GOOD)
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == 0


def test_the_declared_test_scope_and_files_left_out_on_purpose(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # More test folders than the project tests: only tests/app and tests/lib are its suite.
    (root / "proj" / "tests" / "slow").mkdir()
    (root / "proj" / "tests" / "slow" / "test_soak.py").write_text("def test_soak():\n    pass\n")
    (root / "proj" / "tests" / "app" / "test_new.py").write_text("def test_new():\n    pass\n")
    scoped = GOOD.replace('tests = "tests"', 'tests = ["tests/app", "tests/lib"]')
    (root / "workers.toml").write_text(scoped)
    cfg = config.load(root / "workers.toml")
    assert cfg.test_paths == ("tests/app", "tests/lib")

    # tests/slow is outside the scope: not a finding. tests/app/test_new.py is inside and run by nobody: one.
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == exits.FAILED
    out = capsys.readouterr().out
    assert "tests/app/test_new.py is run by no worker" in out and "project.not_run" in out
    assert "test_soak" not in out

    # Listed as deliberately not run: no longer a finding.
    (root / "workers.toml").write_text(
        scoped.replace(
            'tests = ["tests/app", "tests/lib"]',
            'tests = ["tests/app", "tests/lib"]\nnot_run = ["tests/app/test_new.py"]',
        )
    )
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == 0
    capsys.readouterr()

    # The planner keeps to the declared scope: it never assigns the slow soak test, nor the one left out.
    assert cli.main(["plan", "--config", str(root / "workers.toml"), "--workers", "2"]) == 0
    planned = config.load(root / "workers.toml")
    run = {t for w in planned.workers for t in w.tests}
    assert not any("slow" in t or "test_new" in t for t in run), run
    # Folder entries would run what is left out: the plan lists files then.
    assert "tests/app" not in run, run


def test_a_tests_entry_holding_only_what_the_collection_passed_over_is_named(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from covsplit import suite
    from covsplit.collection import Collection
    from covsplit.digests import DigestCache

    # A *_test.py file under a folder the project's conftest ignores (collect_ignore): no serial run collects it.
    ignored = root / "proj" / "tests" / "lib" / "data" / "sample_test.py"
    ignored.parent.mkdir(parents=True)
    ignored.write_text("import not_installed\n")
    (root / "workers.toml").write_text(GOOD.replace('"tests/lib"]', '"tests/lib/test_util.py", "tests/lib/data"]'))
    cfg = config.load(root / "workers.toml")
    nodes = tuple(f"{test}::test_ok" for test in TESTS)
    assert suite.update(cfg, Collection(("tests",), nodes, nodes), "collect", None, DigestCache(None))
    assert cli.main(["check", "--config", str(root / "workers.toml")]) == exits.FAILED
    out = capsys.readouterr().out
    assert "workers.worker2.tests[2]: tests/lib/data: one serial pytest does not collect it" in out
    assert "unrun-test" not in out
