"""The exit statuses of every covsplit command, declared once.

The Makefile and CI read them: ``make coverage-all`` stops at once on
:data:`CONFIG` (nothing ran, so nothing is worth aggregating), and
nox_support treats :data:`BUSY` as "another run of this worker holds its
lock" rather than as a failure.  Standard library only, imported by the
noxfile through config.py.
"""

from __future__ import annotations

OK = 0
# The work ran and something does not hold: a test, a gate, a check problem, a plan that cannot be made.
FAILED = 1
# workers.toml (or a name asked for) is unusable: nothing ran and nothing produced was touched.
CONFIG = 2
# Another run of the same worker holds its lock: this one did nothing.
BUSY = 3
