"""The bench's verdicts: which limits apply, and the lines for the aggregate and for a run before a change."""

from __future__ import annotations

from test_bench_module import bench


def _results(serial: float, warm: float, **others: float) -> dict[str, dict[str, float]]:
    field = {"serial": serial, "xdist": serial, "covsplit-warm": warm, **others}
    return {name.replace("_", "-"): {"wall_s": s, "cpu_s": s, "peak_mib": 1.0} for name, s in field.items()}


def _verdict(lines: list[str], name: str) -> str:
    return next(line for line in lines if name in line)


def test_a_project_of_a_minute_is_held_to_the_issues_limits() -> None:
    results = _results(
        90.0,
        40.0,
        covsplit_edit=6.0,
        covsplit_edit_module=12.4,
        covsplit_unchanged=1.9,
        **{"aggregate_after_full": 3.0},
    )
    lines = bench.verdicts(results, 0.1, True, failing=2)
    assert (
        _verdict(lines, "covsplit-edit ") == "- met: covsplit-edit 6.00 s <= 0.15 x warm (0.15x, with 2 failing tests)"
    )
    assert _verdict(lines, "covsplit-edit-module").startswith("- NOT MET: covsplit-edit-module 12.40 s <= 0.3 x warm")
    assert _verdict(lines, "covsplit-unchanged").startswith("- met: covsplit-unchanged 1.90 s <= 0.05 x warm (0.05x")
    # One of the two aggregate contenders alone says nothing.
    assert not [line for line in lines if "aggregate" in line]


def test_shorter_projects_keep_the_earlier_limits() -> None:
    lines = bench.verdicts(_results(20.0, 10.0, covsplit_edit=5.0, covsplit_unchanged=1.6), 0.1, True)
    assert _verdict(lines, "covsplit-edit ").startswith("- met: covsplit-edit 5.00 s <= 0.5 x warm (0.50x)")
    assert _verdict(lines, "covsplit-unchanged").startswith("- NOT MET: covsplit-unchanged 1.60 s <= 0.15 x warm")
    lines = bench.verdicts(_results(2.0, 2.0, covsplit_edit_module=1.4), 0.1, True)
    assert _verdict(lines, "covsplit-edit-module").startswith("- met: covsplit-edit-module 1.40 s <= 0.7 x warm")


def test_the_aggregate_after_an_edit_is_held_to_a_third_of_its_cpu_after_a_full_run() -> None:
    results = _results(90.0, 40.0, **{"aggregate_after_full": 3.0, "aggregate_after_edit": 1.2})
    assert _verdict(bench.verdicts(results, 0.1, True), "aggregate and report").startswith("- NOT MET:")
    results["aggregate-after-edit"]["cpu_s"] = 0.9
    assert _verdict(bench.verdicts(results, 0.1, True), "aggregate and report") == (
        "- met: aggregate and report CPU after an edit 0.90 s <= 1/3 x after a full run 3.00 s (0.30x)"
    )


def test_a_full_run_is_compared_with_the_same_setting_of_an_earlier_bench() -> None:
    earlier = {
        "settings": [
            {"bytecode_written": False, "contenders": [{"name": "covsplit-warm", "wall_s": 30.0, "cpu_s": 50.0}]},
            {"bytecode_written": True, "contenders": [{"name": "covsplit-warm", "wall_s": 20.0, "cpu_s": 40.0}]},
        ]
    }
    before = bench.earlier_warm(earlier, True)
    assert before == {"wall_s": 20.0, "cpu_s": 40.0}
    assert bench.earlier_warm({"settings": [{"bytecode_written": True, "contenders": []}]}, True) is None
    results = _results(90.0, 21.0)
    results["covsplit-warm"]["cpu_s"] = 42.4
    lines = bench.verdicts(results, 0.1, True, before=before)
    assert _verdict(lines, "warm wall") == "- met: warm wall 21.00 s <= 1.05 x before 20.00 s (1.05x)"
    assert _verdict(lines, "x before 40") == "- NOT MET: warm CPU 42.40 s <= 1.05 x before 40.00 s (1.06x)"


def test_both_bytecode_settings_run_the_ci_images_first() -> None:
    assert list(bench.BYTECODE_SETTINGS.items()) == [("set", False), ("unset", True)]


def test_a_full_run_keeps_its_per_file_data_for_at_most_five_percent_more() -> None:
    results = _results(90.0, 42.0, covsplit_warm_no_grain=40.0)
    lines = [line for line in bench.verdicts(results, 0.1, True) if "without per-file data" in line]
    assert lines == [
        "- met: warm wall 42.00 s <= 1.05 x without per-file data 40.00 s (1.05x)",
        "- met: warm CPU 42.00 s <= 1.05 x without per-file data 40.00 s (1.05x)",
    ]
    results["covsplit-warm"]["cpu_s"] = 42.5
    assert _verdict(bench.verdicts(results, 0.1, True), "warm CPU 42.50 s <= 1.05").startswith("- NOT MET:")
    assert not [line for line in bench.verdicts(_results(90.0, 42.0), 0.1, True) if "per-file" in line]
