"""How much of one machine the workers may take at once: CPUs for xdist, memory for parallel workers.

Two limits that a fixed ``-j`` ignores.  pytest-xdist inside a worker
multiplies its processes: five workers each asking for "auto" on a 2-core
machine would start ten, so a worker's xdist processes are held to its share
of the CPUs.  And memory: one worker's pytest on an ML repository reached
8.7 GB, so five at once on a 24 GB machine is not safe; the number of
workers run at once is held to what the memory measured on earlier runs
allows.

Pure functions, plus the one reader of the machine's available memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from covsplit import status
from covsplit.config import Config
from covsplit.tomlcheck import AUTO

# Leave a fifth of the available memory for everything else on the machine.
MEMORY_HEADROOM = 0.8
# Set by `make coverage-all`: how many workers run at once, so each takes its share of the CPUs.
JOBS_VARIABLE = "COVSPLIT_JOBS"
# The session that collects the whole suite (covsplit.collect), which `covsplit pending` may list beside workers.
COLLECT_SESSION = "collect"


def xdist_processes(setting: int | str, cpus: int, concurrent: int) -> int:
    """pytest-xdist processes for one worker: its setting, within its share of the CPUs.

    0 means no xdist: with a single process its controller would only add cost.
    """
    share = max(1, cpus // max(1, concurrent))
    wanted = share if setting == AUTO else int(setting)
    processes = min(wanted, share)
    return processes if processes > 1 else 0


def contention(concurrent: int, processes: int, cpus: int) -> float:
    """Processes per core at most while a worker runs: its own (xdist's) times the workers sharing the machine.

    What ``durations.uncontended`` needs to take the wait for a core out of measured seconds; 1 when the
    worker has the cores it uses to itself.
    """
    return max(1.0, concurrent * max(1, processes) / max(1, cpus))


def parallel_workers(workers: int, needs_mib: Iterable[float], available_mib: float | None) -> tuple[int, str]:
    """How many workers to run at once, and why: all of them, unless the measured memory says fewer."""
    needs = [need for need in needs_mib if need > 0]
    if not needs or available_mib is None:
        return workers, "no memory measured yet: every worker at once"
    fit = int(available_mib * MEMORY_HEADROOM // max(needs))
    jobs = max(1, min(workers, fit))
    return jobs, (
        f"{jobs} at once: the largest worker needed {max(needs):,.0f} MiB, "
        f"{available_mib:,.0f} MiB available (using at most {MEMORY_HEADROOM:.0%})"
    )


def measured_needs_mib(cfg: Config, names: Iterable[str] = ()) -> tuple[int, list[float]]:
    """How many workers are asked for (``names``, default all), and the memory each measured run needed.

    A worker's need is its pytest's peak RSS times its xdist processes; a
    worker never measured has none (it does not limit the others).
    """
    names = list(names)
    # The collect session (covsplit.suite) may run beside them: one more job, its memory not measured.
    chosen = [cfg.worker(name) for name in names if name != COLLECT_SESSION] if names else list(cfg.workers)
    needs = []
    for worker in chosen:
        record = status.read(cfg.layout.worker(worker.name).status)
        peak, processes = record.get("peak_rss_mib"), record.get("processes") or 1
        if isinstance(peak, int | float) and isinstance(processes, int):
            needs.append(peak * processes)
    return len(names) or len(chosen), needs


def jobs(cfg: Config, names: Iterable[str] = ()) -> tuple[int, str]:
    """``covsplit jobs``: how many of these workers to run at once on this machine, and why."""
    count, needs = measured_needs_mib(cfg, names)
    return parallel_workers(count, needs, available_mib())


def available_mib(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """The memory the kernel says is available for new work, in MiB; None where it cannot say."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def concurrent_workers() -> int:
    try:
        return max(1, int(os.environ.get(JOBS_VARIABLE, "1")))
    except ValueError:
        return 1
