"""Artifact paths: the names the spec gives, from the one layout module."""

from __future__ import annotations

from pathlib import Path

from covsplit import artifacts, config
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


def _readme_artifact_rows() -> list[str]:
    """The rows of the README's per-worker artifacts table, as written."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Artifacts\n", 1)[1]
    table = section.split("| file | content |\n| --- | --- |\n", 1)[1]
    return table.split("\n\n", 1)[0].splitlines()


def test_the_readme_lists_every_artifact_as_the_table_says() -> None:
    assert _readme_artifact_rows() == artifacts.readme_rows()
    # Every row a reader sees names a file of the table, once.
    listed = [row.split("`")[1] for row in _readme_artifact_rows()]
    assert len(listed) == len(set(listed))


def test_every_artifact_has_a_path_a_name_and_a_label_from_the_table(tmp_path: Path) -> None:
    paths = Layout.beside(tmp_path).worker("worker2")
    names = [artifact.name for artifact in artifacts.ARTIFACTS]
    assert len(names) == len(set(names))
    for artifact in artifacts.ARTIFACTS:
        # Its WorkerPaths property is the table's path: nothing spells a name twice.
        assert getattr(paths, artifact.name) == paths.path_of(artifact.name)
        folder = tmp_path / ("htmlcov" if artifact.where == artifacts.HTML else "coverage_output")
        assert paths.path_of(artifact.name) == folder / artifact.pattern.format(name="worker2")
        assert artifact.cleared in (artifacts.KEPT, artifacts.FILE, artifacts.PARTIAL, artifacts.PIECES)
        # A linked file has a report label and, unless it is the summary itself, the summary's link text.
        if artifact.label:
            assert artifact.link_text or artifact.name == "summary", artifact.name
        else:
            assert not artifact.link_text, artifact.name
    # Exactly the labelled ones are linked, in the table's order, by the report and the summary alike.
    assert list(paths.artifacts()) == [artifact.name for artifact in artifacts.ARTIFACTS if artifact.label]
    assert {key: artifacts.BY_NAME[key].label for key in paths.artifacts()} == REPORT_LABELS


# The report's labels the golden report files pin (tests/fixtures/golden): changing one is a change of output.
REPORT_LABELS = {
    "html": "HTML coverage report",
    "coverage_json": "JSON coverage report",
    "test_output": "Test output",
    "summary": "Summary report",
    "failure_analysis": "Failure analysis",
    "junit": "JUnit XML",
    "durations": "Measured durations",
    "progress": "Test progress",
    "status": "Status file",
}


def test_a_run_clears_what_the_table_says_and_nothing_else(tmp_path: Path) -> None:
    paths = Layout.beside(tmp_path).worker("worker2")
    paths.output_dir.mkdir(parents=True)
    piece = paths.data_file.with_name(paths.data_file.name + ".host.123.456")
    piece.write_text("")
    cleared = paths.cleared_before_run()
    assert paths.data_file in cleared and piece in cleared
    assert tmp_path / "coverage_output" / ".worker2_junit.xml.partial" in cleared
    assert tmp_path / "coverage_output" / ".worker2_durations.json.partial" in cleared
    for name in ("progress", "inputs", "observed", "shuffle", "collection"):
        assert paths.path_of(name) in cleared
    # What the run rewrites at its end, and its lock, stay until then.
    for name in ("status", "summary", "junit", "durations", "coverage_json", "html", "lock", "test_output"):
        assert paths.path_of(name) not in cleared
