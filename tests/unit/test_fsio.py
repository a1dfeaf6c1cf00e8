"""Unit tests of covsplit.fsio: a reader sees the old file or the new one, never half of one, and no leftovers."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import pytest

from covsplit import fsio


def test_text_and_json_are_written_whole_in_folders_that_did_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "x.json"
    fsio.write_json(path, {"share": Fraction(1, 4), "n": 1})
    assert json.loads(path.read_text()) == {"share": 0.25, "n": 1}  # exact fractions are read back as floats
    assert fsio.read_json(path) == {"share": 0.25, "n": 1}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]  # no temp file left beside it


def test_what_cannot_be_json_fails_and_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    fsio.write_json(path, [1])
    with pytest.raises(TypeError):
        fsio.write_json(path, {"a": object()})
    assert fsio.read_json(path) == [1]


def test_a_missing_or_half_written_file_reads_as_none(tmp_path: Path) -> None:
    assert fsio.read_json(tmp_path / "absent.json") is None
    (tmp_path / "half.json").write_text('{"a": ')
    assert fsio.read_json(tmp_path / "half.json") is None


def test_a_failed_writer_leaves_the_previous_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old")

    def fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        fsio.produce_file(path, fail)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.json"]
    fsio.produce_file(path, lambda tmp: tmp.write_text("new"))
    assert path.read_text() == "new"


def test_a_folder_is_swapped_in_only_once_complete(tmp_path: Path) -> None:
    html = tmp_path / "html"

    def pages(names: list[str]) -> object:
        return lambda tmp: [(tmp / name).write_text(name) for name in names]

    fsio.produce_dir(html, pages(["index.html", "a.html"]))
    with pytest.raises(ZeroDivisionError):
        fsio.produce_dir(html, lambda tmp: 1 / 0)
    assert sorted(p.name for p in html.iterdir()) == ["a.html", "index.html"]
    fsio.produce_dir(html, pages(["index.html"]))
    assert [p.name for p in html.iterdir()] == ["index.html"]  # a fresh folder: old pages go
    fsio.produce_dir(html, pages(["b.html"]), update=True)
    assert sorted(p.name for p in html.iterdir()) == ["b.html", "index.html"]  # an update starts from the old one
    assert [p.name for p in tmp_path.iterdir()] == ["html"]


def test_artifacts_are_readable_by_everyone_the_umask_allows(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    fsio.write_text(path, "x")
    mask = os.umask(0)
    os.umask(mask)
    # mkstemp makes 0600 files: the published file has the permissions an ordinary one would.
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


LONG_AGO_NS = 1_000_000_000 * 1_000_000_000  # 2001


def test_parse_once_parses_an_old_unchanged_file_once_and_a_replaced_one_again(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    calls: list[Path] = []

    def parse(p: Path, scale: int) -> int:
        calls.append(p)
        return json.loads(p.read_text()) * scale

    path.write_text("1")
    os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    assert fsio.parse_once(path, parse, 2) == fsio.parse_once(path, parse, 2) == 2
    assert len(calls) == 1
    assert fsio.parse_once(path, parse, 3) == 3  # other arguments, another result
    fsio.write_json(path, 5)  # replaced by a rename, as covsplit writes
    os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    assert fsio.parse_once(path, parse, 2) == 10


def test_parse_once_parses_a_file_modified_just_before_again_each_time(tmp_path: Path) -> None:
    # Modified within the clock tick of the parse, it could change again and keep its size and time.
    path = tmp_path / "data.json"
    path.write_text("1")
    calls: list[Path] = []

    def parse(p: Path) -> int:
        calls.append(p)
        return int(p.read_text())

    assert fsio.parse_once(path, parse) == 1
    stat = path.stat()
    path.write_text("2")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same inode, size and time: racily clean
    assert fsio.parse_once(path, parse) == 2
    assert len(calls) == 2


def test_parse_once_keeps_no_failure(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text("{broken")
    os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))

    def parse(p: Path) -> object:
        return json.loads(p.read_text())

    with pytest.raises(json.JSONDecodeError):
        fsio.parse_once(path, parse)
    fsio.write_json(path, {"ok": True})
    os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    assert fsio.parse_once(path, parse) == {"ok": True}
    with pytest.raises(FileNotFoundError):
        fsio.parse_once(tmp_path / "missing.json", json.loads)
