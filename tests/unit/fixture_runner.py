"""tests/fixtures/failing_tests/run_cases.py, shared by the unit tests that run it.

Imported by path: the fixture folder is not a package, on purpose (the
suite's own pytest must not collect its failing tests).
"""

import importlib.util
import sys
from pathlib import Path


def _load_runner():
    name = "failing_tests_run_cases"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "fixtures" / "failing_tests" / "run_cases.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules[name]


run_cases = _load_runner()
