"""Unit tests of covsplit.install_files: the files whose change calls for a new install."""

from __future__ import annotations

from pathlib import Path

from covsplit.install_files import install_inputs


def test_requirement_files_and_those_they_include(tmp_path: Path) -> None:
    (tmp_path / "req").mkdir()
    (tmp_path / "req" / "test.txt").write_text("-r base.txt\npytest  # a comment\n-c constraints.txt\n")
    (tmp_path / "req" / "base.txt").write_text("numpy\n")
    found = install_inputs([["-r", "req/test.txt"], ["--constraint=pins.txt"]], tmp_path)
    # A file named after -r is listed twice (as the option's value and as a file argument): harmless, the
    # fingerprint and the recorded inputs read the same files either way.
    assert list(dict.fromkeys(found)) == [
        tmp_path / "req" / "test.txt",
        tmp_path / "pins.txt",  # named even when absent: adding it changes the install
        tmp_path / "req" / "base.txt",
        tmp_path / "req" / "constraints.txt",
    ]


def test_a_project_folder_brings_its_metadata_and_a_package_name_brings_nothing(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "proj" / "setup.py").write_text("")
    (tmp_path / "wheel.whl").write_text("")
    found = install_inputs([["-e", "proj"], ["numpy>=2", "wheel.whl"]], tmp_path)
    assert found == [tmp_path / "proj" / "pyproject.toml", tmp_path / "proj" / "setup.py", tmp_path / "wheel.whl"]
    assert install_inputs([], tmp_path) == []
