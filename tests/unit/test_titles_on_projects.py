"""The titles `init` derives on every project the init tests use: a reader can tell the workers apart and check
each title against the worker's modules (issue 29: "Highlighter (Part of Lexers) 2" beside "... 3")."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path, PurePosixPath

import pytest

from covsplit import config, init, titles

REPO = Path(__file__).resolve().parents[2]
# The unit and e2e init tests' fixture projects (test_make_init runs tiny), and the bundled example.
PROJECTS = [*sorted(p for p in (REPO / "tests" / "fixtures" / "projects").iterdir() if p.is_dir()), REPO / "example"]


def names_in(title: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", title.lower()) + " "


def named(worker: config.Worker, source_dir: str, below_the_top: bool) -> list[str]:
    """What of the worker's modules its title names, by the words a title uses: its package, a sub-folder or a
    module (``below_the_top``: not the package, which in a project of one package every worker shares)."""
    words = names_in(worker.title)
    found = []
    for file in worker.files:
        parts = PurePosixPath(file).parts
        if source_dir not in ("", "."):
            parts = PurePosixPath(file).relative_to(source_dir).parts
        start = 1 if below_the_top else 0
        labels = [titles.label(part) for part in parts[start:-1]]
        labels += [titles.module_label(str(PurePosixPath(*parts[depth:]))) for depth in range(start, len(parts))]
        found += [text for text in labels if names_in(text) in words]
    return found


@pytest.mark.parametrize("workers", [2, 5, 8])
@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_init_titles_tell_workers_apart_and_name_their_modules(project: Path, workers: int, tmp_path: Path) -> None:
    target = tmp_path / "split" / "workers.toml"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert init.run(project, target, workers) == 0
    cfg = config.load(target)
    by_name = {w.name: w.title for w in cfg.workers}
    unnumbered = [re.sub(r"\s*\d+$", "", title) for title in by_name.values()]
    assert len(set(unnumbered)) == len(unnumbered), by_name
    # Nothing check or the report would say of them: folders named, modules listed are the worker's.
    assert titles.problems(by_name, {w.name: w.files for w in cfg.workers}, cfg.source_dir) == {}
    one_package = len(titles.tops([f for w in cfg.workers for f in w.files], cfg.source_dir)) == 1
    for worker in cfg.workers:
        assert named(worker, cfg.source_dir, one_package and len(cfg.workers) > 1), (worker.title, worker.files)
