"""A command pays only for what it uses: ``--help``, ``rulebooks`` and a usage error never
import pandas, scipy, SQLAlchemy or matplotlib (issue 11: start-up)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "scipy", "sqlalchemy", "matplotlib", "numpy")
PROBE = """
import atexit, sys
atexit.register(lambda: sys.__stderr__.write("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules) + "\\n"))
from nhs_oversight.cli import main
main({args!r})
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["rulebooks"],
        ["rulebooks", "show", "monitor-compliance-2012-13"],
        ["governance", "--help"],
        ["rates", "--year", "2012-14"],
        ["governance", "--quarter", "2012-13-Q5"],
    ],
)
def test_light_commands_import_no_heavy_library(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=args)], capture_output=True, text=True, timeout=60
    )
    heavy = [line for line in done.stderr.splitlines() if line.startswith("HEAVY:")]
    assert heavy == ["HEAVY:"], (args, done.stderr[-500:])
    assert done.returncode in (0, 2)
