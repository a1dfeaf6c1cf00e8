"""Artifact paths: the names the spec gives, from the one layout module."""

from __future__ import annotations

from pathlib import Path

from covsplit import config
from covsplit.layout import Layout

REPO = Path(__file__).resolve().parents[2]


def test_worker_artifacts_are_named_as_the_spec_names_them(tmp_path: Path) -> None:
    paths = Layout.beside(tmp_path).worker("worker2")
    assert paths.html_dir == tmp_path / "htmlcov" / "worker2"
    assert paths.coverage_json == tmp_path / "coverage_output" / "worker2_coverage.json"
    assert paths.test_output == tmp_path / "coverage_output" / "worker2_test_output.txt"
    assert paths.summary == tmp_path / "coverage_output" / "worker2_summary.md"
    assert paths.failure_analysis == tmp_path / "coverage_output" / "worker2_failure_analysis.md"
    # Links in Markdown are relative to the output folder.
    assert paths.artifacts()["html"] == "../htmlcov/worker2/index.html"


def test_a_configs_outputs_sit_beside_its_workers_toml() -> None:
    cfg = config.load(REPO / "workers.toml")
    assert cfg.layout == Layout.beside(REPO)
    assert (cfg.layout.output_dir, cfg.layout.html_dir) == (REPO / "coverage_output", REPO / "htmlcov")
    assert cfg.layout.report_html.parent == cfg.layout.output_dir
    assert cfg.layout.combined_html == REPO / "htmlcov" / "combined"
