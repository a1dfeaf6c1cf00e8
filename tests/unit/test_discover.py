"""Reading a project without importing it: test counts from a test file's source."""

from __future__ import annotations
