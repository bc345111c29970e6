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


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo data in a SQLite file."""
    from nhs_oversight.demo.generate import generate_demo
    from nhs_oversight.inputs import read_data_folder
    from nhs_oversight.rulebooks import load_library
    from nhs_oversight.store import load_dataset, open_store

    root = tmp_path_factory.mktemp("startup-demo")
    generate_demo(root / "demo")
    url = f"sqlite:///{root / 'demo.sqlite'}"
    engine = open_store(url, create=True)
    load_dataset(engine, read_data_folder(root / "demo", load_library()))
    engine.dispose()
    return url


@pytest.mark.parametrize(
    "args",
    [
        ["rates", "--year", "2012-13"],
        ["chance", "--year", "2012-13", "--quarter", "2012-13-Q2"],
        ["funnel", "--year", "2012-13", "--overdispersion", "shmi"],
        ["compare", "monitor-compliance-2012-13", "monitor-compliance-2012-13-poisson", "--year", "2012-13"],
    ],
    ids=["rates", "chance", "funnel-shmi", "compare-poisson"],
)
def test_assessments_never_import_scipy_stats(args: list[str], demo_db: str) -> None:
    """scipy.stats costs about half a second: the statistics use scipy.special alone."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=("scipy.stats",), args=[*args, "--db", demo_db])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-500:]
    heavy = [line for line in done.stderr.splitlines() if line.startswith("HEAVY:")]
    assert heavy == ["HEAVY:"], (args, done.stderr[-500:])
