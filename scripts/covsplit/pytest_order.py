"""pytest plugin: record the suite's collection order, or run exactly a given list of tests in a given order.

``covsplit.diagnose`` needs both.  ``--covsplit-collected=FILE`` writes the
node ids pytest collected, in its own order, after every other plugin
reordered or deselected them: that is the serial order a one-process run
would use.  ``--covsplit-order=FILE`` (a JSON list of node ids) deselects
every collected test not listed and runs the rest in the listed order.  A
diagnosis runs thousands of ids: the command line would name them one by
one (and reorder nothing), so they go in a file and only their test files
are named on the command line.

Node ids are written and read relative to the directory pytest runs from
(the project root), not pytest's rootdir, as covsplit.junit reports them: a
``pytest.ini`` inside ``tests/`` moves the rootdir, and the ids must still
match the workers' results.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from covsplit import fsio


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--covsplit-order", default=None, help="a JSON list of node ids: run exactly these, in order")
    parser.addoption("--covsplit-collected", default=None, help="write the collected node ids here, in order")


def root_nodeid(item: pytest.Item, root: Path) -> str:
    """``item``'s node id with its file relative to ``root`` (where pytest runs) instead of pytest's rootdir."""
    _, sep, rest = item.nodeid.partition("::")
    try:
        file = Path(item.path).relative_to(root).as_posix()
    except ValueError:
        return item.nodeid
    return f"{file}{sep}{rest}" if sep else file


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    order_file = config.getoption("--covsplit-order")
    if not order_file:
        return
    listed = json.loads(Path(order_file).read_text(encoding="utf-8"))
    position = {node: index for index, node in enumerate(listed)}
    root = Path(os.getcwd())
    ids = {id(item): root_nodeid(item, root) for item in items}
    kept = sorted((i for i in items if ids[id(i)] in position), key=lambda i: position[ids[id(i)]])
    dropped = [item for item in items if ids[id(item)] not in position]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def pytest_collection_finish(session: pytest.Session) -> None:
    target = session.config.getoption("--covsplit-collected")
    if target:
        root = Path(os.getcwd())
        fsio.write_json(Path(target), [root_nodeid(item, root) for item in session.items])
