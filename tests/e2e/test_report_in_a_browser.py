"""report.html renders in a real browser: headless Chromium draws it and its DOM has every bar and link.

The page must work from ``file://`` with no network and no scripts, so the
test opens it exactly that way.  The screenshot is decoded with the
standard library (zlib) and must show the bars' colours, not a blank page.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from covsplit import config, fsio, report, status

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)"
)

# module -> (statements, covered lines, branches, covered branches), per the combined data.
MODULES = {
    "app/io.py": (120, 118, 30, 29),
    "app/parse.py": (80, 40, 20, 8),
    "app/model.py": (150, 150, 40, 40),
    "app/train.py": (60, 0, 12, 0),
    "app/util.py": (30, 27, 6, 6),
}
WORKERS = {
    "worker1": ("I/O & parsing <fast>", ["app.io", "app.parse"]),
    "worker2": ("Model", ["app.model"]),
    "worker3": ("Training + utils", ["app.train", "app.util"]),
}
# Colours of the CSS: line bar fill, branch bar fill, a bar below its threshold.
LINE_BLUE = (0x15, 0x65, 0xC0)
BRANCH_PURPLE = (0x6A, 0x1B, 0x9A)
BELOW_RED = (0xC6, 0x28, 0x28)


def build_sample(root: Path) -> config.Config:
    """A project with a passing, a failing and a never-run worker, and a partial aggregate."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    for rel, (stmts, *_rest) in MODULES.items():
        (root / rel).write_text("".join(f"v{i} = {i}\n" for i in range(stmts)))
    (root / "tests").mkdir()
    for name in WORKERS:
        (root / "tests" / f"test_{name}.py").write_text("def test_ok():\n    pass\n")
    tables = "".join(
        f"\n[workers.{name}]\ntitle = {json.dumps(title)}\nmodules = {json.dumps(mods)}\n"
        f'tests = ["tests/test_{name}.py"]\n'
        for name, (title, mods) in WORKERS.items()
    )
    (root / "workers.toml").write_text(
        '[project]\nroot = "."\nsource = ["app"]\ntests = "tests"\n\n[thresholds]\nline = 80\nbranch = 90\n' + tables
    )
    cfg = config.load(root / "workers.toml")
    runs: dict[str, dict[str, Any]] = {
        "worker1": {
            "state": status.FAILED,
            "exit_status": 1,
            "duration_s": 42.5,
            "outcomes": {"tests": 40, "passed": 35, "failed": 4, "errors": 1, "skipped": 0},
            "failure_categories": {"TypeError": 3, "AssertionError": 1, "Setup error: ValueError": 1},
        },
        "worker2": {
            "state": status.PASSED,
            "exit_status": 0,
            "duration_s": 12.25,
            "outcomes": {"tests": 25, "passed": 24, "failed": 0, "errors": 0, "skipped": 1},
            "failure_categories": {},
        },
    }
    for name, run in runs.items():
        worker = cfg.worker(name)
        paths = cfg.layout.worker(name)
        own = {f: MODULES[f] for f in worker.files if f in MODULES}
        cov = [sum(v[i] for v in own.values()) for i in range(4)]
        status.write(
            paths.status,
            {
                "worker": name,
                "title": worker.title,
                "files": list(worker.files),
                "started_at": "2026-11-24T12:00:00+00:00",
                "finished_at": "2026-11-24T12:00:45+00:00",
                "command_line": f"cd {root} && python -m pytest tests/test_{name}.py --cov=app --cov-branch",
                "coverage": dict(
                    zip(("statements", "covered_lines", "branches", "covered_branches"), cov, strict=True)
                ),
                "message": "",
                "artifacts": paths.artifacts(),
                **run,
            },
        )
        fsio.write_json(
            paths.coverage_json,
            {
                "files": {
                    f: {"summary": {"num_statements": s, "covered_lines": c, "num_branches": b, "covered_branches": cb}}
                    for f, (s, c, b, cb) in own.items()
                }
            },
        )
        for artifact in ("test_output", "summary", "junit"):
            (cfg.layout.output_dir / paths.artifacts()[artifact]).write_text("...")
        paths.html_dir.mkdir(parents=True)
        (paths.html_dir / "index.html").write_text(f"<html><body>{name}</body></html>")
    (cfg.layout.html_dir / "combined").mkdir(parents=True)
    (cfg.layout.html_dir / "combined" / "index.html").write_text("<html><body>combined</body></html>")
    owners = {f: w.name for w in cfg.workers for f in w.files}
    files = {
        f: {"owner": owners[f], "statements": s, "covered_lines": c, "branches": b, "covered_branches": cb}
        for f, (s, c, b, cb) in MODULES.items()
    }
    fsio.write_json(
        cfg.layout.output_dir / "aggregate.json",
        {
            "schema": 1,
            "generated_at": "2026-11-24T12:01:00+00:00",
            "complete": False,
            "missing": [{"worker": "worker3", "state": "not run", "reason": "no status file worker3_status.json"}],
            "totals": {
                "files": len(files),
                "statements": sum(v[0] for v in MODULES.values()),
                "covered_lines": sum(v[1] for v in MODULES.values()),
                "branches": sum(v[2] for v in MODULES.values()),
                "covered_branches": sum(v[3] for v in MODULES.values()),
            },
            "files": files,
        },
    )
    return cfg


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1280,2000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def decode_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB(A) PNG, with zlib only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    width = height = depth = colour = interlace = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    assert len(raw) == height * (stride + 1), "truncated image data"
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


class _Elements(HTMLParser):
    """Collect the attributes of every element of the dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def _has_colour(colours: set[tuple[int, ...]], rgb: tuple[int, int, int], tolerance: int = 6) -> bool:
    return any(all(abs(c[i] - rgb[i]) <= tolerance for i in range(3)) for c in colours)


def test_report_html_renders_in_chromium(tmp_path: Path) -> None:
    cfg = build_sample(tmp_path / "project")
    assert report.write_report(cfg) == 0
    page = cfg.layout.output_dir / "report.html"
    profile = tmp_path / "profile"

    dom = _chromium(profile, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    parser = _Elements()
    parser.feed(dom.stdout)
    elements = parser.elements

    bars = {
        (attrs["class"].split()[1], attrs["data-worker"]): attrs.get("data-value")
        for tag, attrs in elements
        if tag == "div" and attrs.get("class", "").startswith("bar ") and "data-worker" in attrs
    }
    # worker1 owns io + parse: 158/200 lines, 37/50 branches; worker2 owns model: 150/150, 40/40.
    assert bars[("line", "worker1")] == "79.00"
    assert bars[("branch", "worker1")] == "74.00"
    assert bars[("line", "worker2")] == "100.00"
    assert bars[("branch", "worker2")] == "100.00"
    assert bars[("line", "worker3")] == ""  # never ran: an empty bar, not a made-up 0
    # Combined (partial): 335/440 lines and 83/108 branches.
    assert bars[("line", "combined")] == "76.14"  # 76.136...: as coverage.py shows it
    assert bars[("branch", "combined")] == "76.85"
    rows = {
        attrs["data-worker"]: attrs for tag, attrs in elements if tag == "tr" and "worker" in attrs.get("class", "")
    }
    assert {name: attrs["data-state"] for name, attrs in rows.items()} == {
        "worker1": "failed",
        "worker2": "passed",
        "worker3": "not run",
    }
    markers = [a for t, a in elements if t == "div" and a.get("class") == "marker"]
    assert len(markers) == 6  # line and branch for two workers and the combined data
    links = {attrs["href"] for tag, attrs in elements if tag == "a" and "href" in attrs}
    assert {"../htmlcov/worker1/index.html", "../htmlcov/worker2/index.html", "../htmlcov/combined/index.html"} <= links
    assert not any(href.startswith(("http:", "https:", "//")) for href in links)
    for href in links:
        assert (cfg.layout.output_dir / href).is_file(), f"dead link {href}"
    assert any(a.get("id") == "partial" for _, a in elements)
    assert any(a.get("class") == "missing-worker" and a.get("data-worker") == "worker3" for _, a in elements)
    # Escaped title survives as text, not markup.
    assert "I/O &amp; parsing &lt;fast&gt;" in dom.stdout

    shot = tmp_path / "shot.png"
    run = _chromium(profile, f"--screenshot={shot}", page.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 10_000
    width, height, pixels, bpp = decode_png(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    colours = {row[i : i + 3] for row in pixels[:900] for i in range(0, width * bpp, bpp)}
    colour_tuples = {tuple(c) for c in colours}
    assert len(colour_tuples) > 20, "the page looks blank"
    assert _has_colour(colour_tuples, LINE_BLUE), "no line-coverage bar drawn"
    assert _has_colour(colour_tuples, BELOW_RED), "no below-threshold bar drawn"
    assert _has_colour(colour_tuples, BRANCH_PURPLE), "no branch-coverage bar drawn"
    # Keep the picture next to the report for a person to look at.
    shutil.copy(shot, cfg.layout.output_dir / "report.png")
    assert re.search(r"PARTIAL", page.read_text(encoding="utf-8"))
