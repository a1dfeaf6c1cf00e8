"""File digests cached by size, modification time and inode, and the digest of what a virtualenv has installed."""

from __future__ import annotations

import os
from pathlib import Path

from covsplit import digests
from covsplit.digests import ABSENT, DigestCache

LONG_AGO_NS = 1_600_000_000 * 10**9


def test_a_digest_is_of_the_content(tmp_path: Path) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("x = 1\n")
    second.write_text("x = 1\n")
    cache = DigestCache(None)
    assert cache.digest(first) == cache.digest(second) == digests.hash_bytes(b"x = 1\n")
    second.write_text("x = 2\n")
    assert cache.digest(second) != cache.digest(first)
    assert cache.digest(tmp_path / "missing.py") == ABSENT
    assert cache.digest(tmp_path) == ABSENT  # a folder has no content


def test_a_file_last_modified_long_before_it_was_hashed_is_not_hashed_again(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    store = tmp_path / "digests.json"
    cache = DigestCache(store)
    before = cache.digest(path)
    cache.save()
    # Same size, time and inode, other content: only a cache that trusts the signature says "unchanged".
    with open(path, "r+") as handle:
        handle.write("y = 2\n")
    os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    assert DigestCache(store).digest(path) == before
    # Any change of the signature is hashed again.
    os.utime(path, ns=(LONG_AGO_NS + 1, LONG_AGO_NS + 1))
    assert DigestCache(store).digest(path) == digests.hash_bytes(b"y = 2\n")


def test_a_file_modified_just_before_it_was_hashed_is_hashed_again(tmp_path: Path) -> None:
    # "Racily clean": an edit within the same clock tick keeps size and time.
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    stat = path.stat()
    store = tmp_path / "digests.json"
    cache = DigestCache(store)
    cache.digest(path)
    cache.save()
    with open(path, "r+") as handle:
        handle.write("y = 2\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert DigestCache(store).digest(path) == digests.hash_bytes(b"y = 2\n")


def test_an_unreadable_cache_is_an_empty_one(tmp_path: Path) -> None:
    store = tmp_path / "digests.json"
    store.write_text("{not json")
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    cache = DigestCache(store)
    assert cache.digest(path) == digests.hash_bytes(b"x = 1\n")
    cache.save()
    assert DigestCache(store).digest(path) == digests.hash_bytes(b"x = 1\n")


def test_modified_since(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    started = digests.file_clock_ns(tmp_path)
    path.write_text("x = 1\n")
    assert digests.modified_since(path, started)
    os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    assert not digests.modified_since(path, started)
    assert not digests.modified_since(tmp_path / "missing.py", started)


def test_installed_changes_with_what_is_installed(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "pytest-9.2.0.dist-info").mkdir(parents=True)
    (site / "pytest").mkdir()
    (site / "_project.pth").write_text("/src/project\n")
    before = digests.installed([site])
    (site / "pytest").joinpath("extra.py").write_text("")  # a package's own files are not the listing
    assert digests.installed([site]) == before
    (site / "pytest-9.2.0.dist-info").rename(site / "pytest-9.3.0.dist-info")
    upgraded = digests.installed([site])
    assert upgraded != before
    (site / "_project.pth").write_text("/elsewhere/project\n")
    assert digests.installed([site]) != upgraded


def test_a_file_written_after_the_file_clock_is_modified_since_it_however_often(tmp_path: Path) -> None:
    # time.time_ns() runs ahead of the coarse clock Linux stamps files with: this failed on CI with it.
    path = tmp_path / "a.py"
    for _ in range(2000):
        started = digests.file_clock_ns(tmp_path)
        path.write_text("x = 1\n")
        assert digests.modified_since(path, started)


def test_the_file_clock_of_a_folder_that_cannot_be_written_errs_towards_modified(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    assert digests.modified_since(path, digests.file_clock_ns(tmp_path / "missing"))
