"""How much of the machine the workers take: xdist processes within a CPU share, workers within memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from covsplit import capacity, config, fsio, status


@pytest.mark.parametrize(
    ("setting", "cpus", "concurrent", "processes"),
    [
        (0, 8, 1, 0),
        ("auto", 8, 1, 8),
        ("auto", 8, 4, 2),
        ("auto", 2, 5, 0),  # five workers on two CPUs: no room for more processes
        (4, 8, 1, 4),
        (4, 8, 4, 2),  # asked for 4, its share is 2
        (1, 8, 1, 0),  # one process is no xdist
    ],
)
def test_xdist_processes_stay_within_the_cpu_share(
    setting: int | str, cpus: int, concurrent: int, processes: int
) -> None:
    assert capacity.xdist_processes(setting, cpus, concurrent) == processes
    # Never oversubscribed: all concurrent workers' processes fit the CPUs (or one each).
    assert max(processes, 1) * concurrent <= max(cpus, concurrent)


def test_parallel_workers_follow_the_measured_memory() -> None:
    assert capacity.parallel_workers(5, [], 24000)[0] == 5
    jobs, why = capacity.parallel_workers(5, [8700, 500], 24000)
    assert jobs == 2 and "8,700 MiB" in why  # 24 GB * 0.8 holds two 8.7 GB workers
    assert capacity.parallel_workers(5, [30000], 24000)[0] == 1
    assert capacity.parallel_workers(3, [10], 24000)[0] == 3


def test_available_memory_from_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24576000 kB\nMemAvailable:   20480000 kB\n")
    assert capacity.available_mib(meminfo) == 20000
    assert capacity.available_mib(tmp_path / "missing") is None


def test_xdist_setting_in_workers_toml(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("x = 1\n")
    (tmp_path / "tests").mkdir()
    path = tmp_path / "workers.toml"
    base = '[project]\nsource = ["pkg"]\n{project}\n[workers.w1]\nmodules = ["pkg"]\n{worker}\n'
    path.write_text(base.format(project='xdist = "auto"', worker=""))
    assert config.load(path).workers[0].xdist == "auto"
    path.write_text(base.format(project="xdist = 4", worker="xdist = 0"))
    assert config.load(path).workers[0].xdist == 0
    for bad in ('"two"', "-1", "true", "1.5"):
        path.write_text(base.format(project="", worker=f"xdist = {bad}"))
        with pytest.raises(config.ConfigError, match=r"workers\.w1\.xdist"):
            config.load(path)


def test_measured_needs_come_from_each_workers_status(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "b.py").write_text("y = 1\n")
    (tmp_path / "tests").mkdir()
    path = tmp_path / "workers.toml"
    path.write_text(
        '[project]\nsource = ["pkg"]\n[workers.w1]\nmodules = ["pkg.a"]\n[workers.w2]\nmodules = ["pkg.b"]\n'
    )
    cfg = config.load(path)
    assert capacity.measured_needs_mib(cfg) == (2, [])  # never run: nothing limits them
    output = cfg.layout.output_dir
    output.mkdir()
    # Peak RSS per process times the xdist processes: w1 ran 3 processes of 1,000 MiB.
    passed = {"schema": status.SCHEMA, "state": status.PASSED}
    fsio.write_json(output / "w1_status.json", {**passed, "peak_rss_mib": 1000, "processes": 3})
    fsio.write_json(output / "w2_status.json", {**passed, "peak_rss_mib": 500})
    assert capacity.measured_needs_mib(cfg) == (2, [3000, 500])
    assert capacity.measured_needs_mib(cfg, ["w2"]) == (1, [500])
    with pytest.raises(config.ConfigError, match="no worker named 'w9'"):
        capacity.measured_needs_mib(cfg, ["w9"])


def test_contention_counts_processes_per_core() -> None:
    assert capacity.contention(5, 0, 2) == 2.5  # five serial workers on two cores
    assert capacity.contention(1, 2, 2) == 1.0  # one worker with two xdist processes: a core each
    assert capacity.contention(1, 0, 8) == 1.0  # never below one
