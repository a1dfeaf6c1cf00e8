"""covsplit: split a Python test suite's coverage work into balanced workers.

``workers.toml`` is the single source of truth; this package reads it, runs
workers, and turns their results into exact reports.  The modules that the
noxfile imports at load time (``config``, ``discover``) use only the standard
library, so the noxfile works before any session venv exists.
"""
