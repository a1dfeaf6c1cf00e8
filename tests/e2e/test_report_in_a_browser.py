"""report.html renders in a real browser: headless Chromium draws it and its DOM has every bar and link.

The page must work from ``file://`` with no network and no scripts, so the
test opens it exactly that way.  The screenshot is decoded with the
standard library (zlib) and must show the bars' colours, not a blank page.

It must also fit the window: five workers with long titles are laid out at
1280 and 1400 px (a laptop) and 390 px (a phone), and a copy of the page with
a measuring script injected reports every element that reaches past the
viewport; none may.  A whole-page screenshot at each width is kept, in
``$COVSPLIT_SCREENSHOTS`` when set, else in the test's tmp_path (its path is
printed: ``pytest -rP`` shows it).
"""

from __future__ import annotations

import html
import json
import os
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


def build_sample(
    root: Path,
    modules: dict[str, tuple[int, int, int, int]] = MODULES,
    workers: dict[str, tuple[str, list[str]]] = WORKERS,
    runs: dict[str, dict[str, Any]] | None = None,
) -> config.Config:
    """A project with a passing, a failing and a never-run worker, and a partial aggregate.

    ``runs`` (a status record per worker that ran) replaces the default
    records of worker1 (failed) and worker2 (passed); the last worker never ran.
    """
    for rel, (stmts, *_rest) in modules.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("".join(f"v{i} = {i}\n" for i in range(stmts)))
    for package in {parent for rel in modules for parent in Path(rel).parents if parent != Path(".")}:
        (root / package / "__init__.py").write_text("")
    source = sorted({Path(rel).parts[0] for rel in modules})
    (root / "tests").mkdir()
    for name in workers:
        (root / "tests" / f"test_{name}.py").write_text("def test_ok():\n    pass\n")
    tables = "".join(
        f"\n[workers.{name}]\ntitle = {json.dumps(title)}\nmodules = {json.dumps(mods)}\n"
        f'tests = ["tests/test_{name}.py"]\n'
        for name, (title, mods) in workers.items()
    )
    (root / "workers.toml").write_text(
        f'[project]\nroot = "."\nsource = {json.dumps(source)}\ntests = "tests"\n\n'
        + "[thresholds]\nline = 80\nbranch = 90\n"
        + tables
    )
    cfg = config.load(root / "workers.toml")
    runs = (
        runs
        if runs is not None
        else {
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
    )
    for name, run in runs.items():
        worker = cfg.worker(name)
        paths = cfg.layout.worker(name)
        own = {f: modules[f] for f in worker.files if f in modules}
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
    last = cfg.workers[-1].name
    files = {
        f: {"owner": owners[f], "statements": s, "covered_lines": c, "branches": b, "covered_branches": cb}
        for f, (s, c, b, cb) in modules.items()
    }
    fsio.write_json(
        cfg.layout.output_dir / "aggregate.json",
        {
            "schema": 1,
            "generated_at": "2026-11-24T12:01:00+00:00",
            "complete": False,
            "missing": [{"worker": last, "state": "not run", "reason": f"no status file {last}_status.json"}],
            "totals": {
                "files": len(files),
                "statements": sum(v[0] for v in modules.values()),
                "covered_lines": sum(v[1] for v in modules.values()),
                "branches": sum(v[2] for v in modules.values()),
                "covered_branches": sum(v[3] for v in modules.values()),
            },
            "files": files,
        },
    )
    return cfg


def _chromium(profile: Path, *args: str, window: tuple[int, int] = (1280, 2000)) -> subprocess.CompletedProcess[str]:
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
            f"--window-size={window[0]},{window[1]}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def decode_png(data: bytes, limit: int | None = None) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB(A) PNG, with zlib only.

    ``limit`` rows at most, from the top: unfiltering in Python costs seconds a megapixel.
    """
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
    for y in range(height if limit is None else min(limit, height)):
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
    # The rows down to the end of the workers table: the bars are drawn there (decoding all 2000 costs seconds).
    rows = 1400
    width, height, pixels, bpp = decode_png(shot.read_bytes(), limit=rows)
    assert (width, height) == (1280, 2000)
    colours = {row[i : i + 3] for row in pixels[:rows] for i in range(0, width * bpp, bpp)}
    colour_tuples = {tuple(c) for c in colours}
    assert len(colour_tuples) > 20, "the page looks blank"
    assert _has_colour(colour_tuples, LINE_BLUE), "no line-coverage bar drawn"
    assert _has_colour(colour_tuples, BELOW_RED), "no below-threshold bar drawn"
    assert _has_colour(colour_tuples, BRANCH_PURPLE), "no branch-coverage bar drawn"
    # Keep the picture next to the report for a person to look at.
    shutil.copy(shot, cfg.layout.output_dir / "report.png")
    assert re.search(r"PARTIAL", page.read_text(encoding="utf-8"))


# Five workers as a large flat folder split by name gives them: long titles, long module paths and node ids,
# four-digit counts and seconds.  The page must fit a laptop window and stay readable on a phone.
LEXERS = "highlighting/lexers"
WIDE_MODULES = {
    f"{LEXERS}/actionscript_and_flash_bytecode_assembly.py": (400, 380, 120, 100),
    f"{LEXERS}/configuration_files_ini_toml_and_properties.py": (300, 120, 90, 30),
    f"{LEXERS}/javascript_typescript_coffeescript_and_livescript.py": (500, 500, 160, 160),
    f"{LEXERS}/objective_c_and_objective_cpp_with_foundation.py": (350, 300, 100, 90),
    f"{LEXERS}/structured_query_languages_postgres_mysql_sqlite.py": (450, 200, 140, 40),
    "highlighting/formatters/terminal_truecolor_and_256_colour_output.py": (250, 0, 60, 0),
}
LEXER_MODULES = LEXERS.replace("/", ".")
WIDE_WORKERS = {
    "worker1": (
        "Highlighting lexers: a–b (actionscript, ada, apl, bash, …)",
        [f"{LEXER_MODULES}.actionscript_and_flash_bytecode_assembly"],
    ),
    "worker2": (
        "Highlighting lexers: c–i (configuration files, ini, toml, …)",
        [f"{LEXER_MODULES}.configuration_files_ini_toml_and_properties"],
    ),
    "worker3": (
        "Highlighting lexers: j–n (javascript, typescript, livescript)",
        [f"{LEXER_MODULES}.javascript_typescript_coffeescript_and_livescript"],
    ),
    "worker4": (
        "Highlighting lexers: o–r (objective-c, perl, php, python, …)",
        [f"{LEXER_MODULES}.objective_c_and_objective_cpp_with_foundation"],
    ),
    "worker5": (
        "Highlighting lexers: s–z and formatters (sql, terminal, …)",
        [
            f"{LEXER_MODULES}.structured_query_languages_postgres_mysql_sqlite",
            "highlighting.formatters.terminal_truecolor_and_256_colour_output",
        ],
    ),
}
_LONG_TEST = "test_every_token_of_the_sample_file_round_trips_through_the_formatter"


def _ran(state: str, seconds: float, passed: int, failed: int = 0, errors: int = 0) -> dict[str, Any]:
    skipped = 1234
    return {
        "state": state,
        "exit_status": 0 if state == status.PASSED else 1,
        "duration_s": seconds,
        "outcomes": {
            "tests": passed + failed + errors + skipped,
            "passed": passed,
            "failed": failed,
            "errors": errors,
            "skipped": skipped,
        },
        "failure_categories": {"AssertionError": failed} if failed else {},
    }


WIDE_RUNS = {
    "worker1": _ran(status.FAILED, 1234.56, 12345, failed=678, errors=90),
    "worker2": _ran(status.PASSED, 987.65, 23456),
    "worker3": _ran(status.PASSED, 1023.5, 34567),
    "worker4": _ran(status.TIMEOUT, 3600.0, 4567, errors=1),
}


def build_wide_sample(root: Path) -> config.Config:
    """Five workers with long titles, long module paths and the slowest tests' long node ids."""
    cfg = build_sample(root, WIDE_MODULES, WIDE_WORKERS, WIDE_RUNS)
    for i, name in enumerate(WIDE_RUNS, start=1):
        cases = "".join(
            f'<testcase classname="tests.test_{name}.TestEveryLexerOfThisWorkerOnItsSampleFiles" '
            f'name="{_LONG_TEST}[sample-file-number-{n}-with-unicode-and-tabs]" '
            f'file="tests/test_{name}.py" time="{i * 10 + n}.5"/>'
            for n in range(3)
        )
        cfg.layout.worker(name).junit.write_text(
            f'<?xml version="1.0"?><testsuites><testsuite>{cases}</testsuite></testsuites>'
        )
    cfg.layout.worker("worker1").failure_analysis.write_text("...")
    return cfg


# Injected into a copy of the page (the page itself runs no script): after layout, every element whose box
# reaches past the viewport, and the document's scroll width, written into the top document's DOM, which
# --dump-dom prints.
PROBE = """<script>
addEventListener("load", () => {
  const root = document.documentElement;
  const limit = root.clientWidth;
  const offenders = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && (box.right > limit + 0.5 || box.left < -0.5)) {
      offenders.push({
        tag: element.tagName.toLowerCase(), id: element.id, class: String(element.className),
        left: Math.round(box.left), right: Math.round(box.right), text: element.textContent.trim().slice(0, 60),
      });
    }
  }
  const out = top.document.createElement("pre");
  out.id = "overflow-probe";
  out.hidden = true;
  out.textContent = JSON.stringify({
    innerWidth: innerWidth, clientWidth: limit, scrollWidth: root.scrollWidth, scrollHeight: root.scrollHeight,
    offenders: offenders,
  });
  top.document.body.append(out);
});
</script>"""
# Chromium's windows are never narrower than this, headless ones included (--window-size=390,... gives a
# 500 px viewport): a narrower viewport is a frame of that width, whose media queries see the frame's width.
MIN_WINDOW = 500


def in_a_window(page: Path, html_text: str, name: str, width: int, height: int) -> tuple[Path, tuple[int, int]]:
    """``html_text`` as a file laid out ``width`` px wide, and the window size that shows it so.

    Beside ``page``, so its relative links resolve as the page's do.  Narrower
    than :data:`MIN_WINDOW`, it is the ``srcdoc`` of a frame at the top left of
    a wider window (``srcdoc`` shares the top page's origin, so the probe can
    write there).  The frame shows no scroll bar, as a phone's overlay scroll bars take no width.
    """
    target = page.with_name(name)
    if width >= MIN_WINDOW:
        target.write_text(html_text, encoding="utf-8")
        return target, (width, height)
    target.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#fff">'
        f'<iframe scrolling="no" style="display:block;border:0;width:{width}px;height:{height}px" '
        f'srcdoc="{html.escape(html_text, quote=True)}"></iframe></body></html>',
        encoding="utf-8",
    )
    return target, (MIN_WINDOW, height)


def measure_overflow(page: Path, profile: Path, width: int, height: int = 1000) -> dict[str, Any]:
    """Lay ``page`` out ``width`` px wide and return what :data:`PROBE` measured."""
    probed, window = in_a_window(
        page,
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
        f"{page.stem}.probe-{width}.html",
        width,
        height,
    )
    run = _chromium(profile, "--virtual-time-budget=5000", "--dump-dom", probed.as_uri(), window=window)
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'<pre id="overflow-probe" hidden="">(.*?)</pre>', run.stdout, re.S)
    assert found, f"the probe did not run:\n{run.stdout[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def screenshot(page: Path, profile: Path, shot: Path, width: int, height: int, top: int) -> tuple[list[bytes], int]:
    """A ``width`` px wide picture of the whole page in ``shot``; its first ``top`` rows and bytes per pixel."""
    framed, window = in_a_window(page, page.read_text(encoding="utf-8"), f"{page.stem}.{width}.html", width, height)
    run = _chromium(profile, f"--screenshot={shot}", framed.as_uri(), window=window)
    assert run.returncode == 0, run.stderr[-2000:]
    framed_only = window[0] > width
    png_width, _height, rows, bpp = decode_png(shot.read_bytes(), limit=None if framed_only else top)
    assert png_width == window[0]
    if framed_only:
        # Keep the frame only: what a phone shows.
        rows = [row[: width * bpp] for row in rows]
        shot.write_bytes(encode_png(width, rows, bpp))
    return rows[:top], bpp


def encode_png(width: int, rows: list[bytes], bpp: int) -> bytes:
    """An 8-bit RGB(A) PNG of unfiltered ``rows``, with zlib only."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2 if bpp == 3 else 6, 0, 0, 0)
    data = zlib.compress(b"".join(b"\0" + row for row in rows))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def screenshot_dir(tmp_path: Path) -> Path:
    """Where the screenshots are kept: $COVSPLIT_SCREENSHOTS when set, else the test's tmp_path."""
    directory = Path(os.environ.get("COVSPLIT_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.mark.parametrize("width", [1280, 390])
def test_the_overflow_probe_sees_overflow(width: int, tmp_path: Path) -> None:
    """The check below can fail: a table wider than the viewport is reported, and the viewport is as wide as asked."""
    page = tmp_path / "wide.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body><table id="too-wide"><tr><td style="min-width: {width + 20}px">cell</td></tr></table></body></html>'
    )
    probe = measure_overflow(page, tmp_path / "profile", width)
    assert probe["innerWidth"] == width
    assert probe["scrollWidth"] > probe["clientWidth"]
    assert "too-wide" in {o["id"] for o in probe["offenders"]}


@pytest.mark.parametrize("width", [1280, 1400, 390])
def test_report_html_fits_the_window(width: int, tmp_path: Path) -> None:
    """Five workers with long titles fit a laptop window and a phone without horizontal scrolling."""
    cfg = build_wide_sample(tmp_path / "project")
    assert report.write_report(cfg) == 0
    page = cfg.layout.output_dir / "report.html"
    profile = tmp_path / "profile"

    probe = measure_overflow(page, profile, width)
    # The window really is the layout viewport (old headless modes had a minimum width).
    assert probe["innerWidth"] == width
    assert probe["scrollWidth"] <= probe["clientWidth"], json.dumps(probe, indent=1)
    assert probe["offenders"] == [], json.dumps(probe["offenders"], indent=1)

    # The whole page, for a person to look at.
    shot = screenshot_dir(tmp_path) / f"report-{width}.png"
    # The workers' bars lie within the top 2,400 px at every width.
    pixels, bpp = screenshot(page, profile, shot, width, min(probe["scrollHeight"], 12_000), top=2400)
    print(f"screenshot at {width} px: {shot}")
    colours = {tuple(row[i : i + 3]) for row in pixels[::2] for i in range(0, width * bpp, bpp)}
    for colour, what in ((LINE_BLUE, "line"), (BRANCH_PURPLE, "branch"), (BELOW_RED, "below-threshold")):
        assert _has_colour(colours, colour), f"no {what} bar drawn at {width} px"
