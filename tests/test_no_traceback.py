"""No traceback ever reaches a user: every command, run with malformed and hostile arguments,
ends in one clear failure line (exit 1 refused, 2 usage) or succeeds, and leaves no file behind.

Hypothesis draws each command's arguments from values that are valid, malformed or hostile
(huge numbers, impossible periods, paths under files, unknown codes, control characters,
option-looking words), and runs the real command line in-process (typer's CliRunner) against a
small database; a few are run again through the installed ``oversight`` script.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nhs_oversight.cli import app

from . import governance_case as case
from .conftest import write_folder

runner = CliRunner()

HOSTILE = [
    "",
    " ",
    "-",
    "--",
    "--help-me",
    "0",
    "-1",
    "99999999999999999999",
    "1e308",
    "nan",
    "inf",
    "2012-13-Q5",
    "2012-14",
    "2012-13-Q0",
    "9999-00",
    "0000-01",
    "2012-13-Q2\n",
    "../../etc/passwd",
    "/dev/null",
    "' OR 1=1 --",
    "名前",
    "\x1b[31mred",
    "a" * 5000,
    "%s%s%s",
    "{0}",
]
YEARS = ["2012-13", "2012-13", "2011-12", "2013-14", "2030-31"]
QUARTERS = ["2012-13-Q2", "2012-13-Q3", "2012-13-Q4", "2011-12-Q1", "2030-31-Q1"]
ORGS = ["FT1", "FT2", "ft1", "NOPE", "ENGLAND"]
RULEBOOKS = ["monitor-compliance-2012-13", "monitor-compliance-2012-13-poisson", "mrsa-objective-2010-11", "nope"]
SETS = ["cdiff_de_minimis=0", "cdiff_de_minimis=6", "cdiff_de_minimis=abc", "nope=1", "=", "x"]
SETS += ["cdiff_de_minimis=99999999999999999999", "cdiff_de_minimis=-3", "band_edges=[1,2]", "rated_kinds=5"]


def _value(valid: list[str], hostile: list[str] = HOSTILE) -> st.SearchStrategy[str]:
    """Mostly valid values; one in eight malformed or hostile."""
    return st.integers(0, 7).flatmap(lambda i: st.sampled_from(hostile if i == 0 else valid))


def _opt(name: str, valid: list[str], required: bool = False) -> st.SearchStrategy[list[str]]:
    """An option with a drawn value; optional ones are sometimes left out."""
    given_ = _value(valid).map(lambda v: [name, v])
    return given_ if required else st.one_of(st.just([]), given_)


def _arg(valid: list[str]) -> st.SearchStrategy[list[str]]:
    return _value(valid).map(lambda v: [v])


def _outs(tmp: Path) -> list[str]:
    blocker = tmp / "a-file"
    blocker.write_text("x")
    return [
        str(tmp / "ok.csv"),
        str(tmp / "ok.xlsx"),
        str(tmp / "ok.json"),
        str(tmp / "bad.txt"),
        str(blocker / "under-a-file.csv"),
        str(tmp / "missing" / "x.csv"),
        str(tmp),
        "/proc/nope/x.csv",
    ]


def _commands(db: str, tmp: Path) -> st.SearchStrategy[list[str]]:
    dbs = [db, db, db, str(tmp / "mistyped.sqlite"), "postgresql://u:secret@127.0.0.1:1/x", "sqlite:///"]
    database = _opt("--db", dbs, required=True)
    what_if = _opt("--set", SETS)
    out = _opt("--out", _outs(tmp))
    year, quarter = _opt("--year", YEARS, True), _opt("--quarter", QUARTERS, True)

    def cmd(head: list[str], *parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
        return st.tuples(*parts).map(lambda t: head + [w for p in t for w in p])

    return st.one_of(
        cmd(
            ["rates"],
            year,
            _opt("--organism", ["mrsa", "cdiff"]),
            _opt("--kind", ["pct", "trust"]),
            database,
            what_if,
            out,
        ),
        cmd(
            ["objectives", "mrsa"],
            year,
            _opt("--baseline", YEARS),
            _opt("--kind", ["pct", "trust"]),
            database,
            what_if,
            out,
        ),
        cmd(
            ["objectives", "cdiff"],
            year,
            _opt("--reduction", ["0.18", "0", "0.5"]),
            _opt("--method", ["uniform", "median-quartile"]),
            _opt("--kind", ["pct", "trust"]),
            database,
            what_if,
            out,
        ),
        cmd(
            ["monitor"],
            quarter,
            _opt("--organism", ["mrsa", "cdiff"]),
            _opt("--kind", ["trust", "pct"]),
            database,
            what_if,
            out,
        ),
        cmd(["governance"], quarter, _opt("--rulebook", RULEBOOKS), database, what_if, out),
        cmd(["history"], _arg(ORGS), database, out),
        cmd(
            ["explain"],
            _arg(ORGS),
            _opt("--period", YEARS + QUARTERS, True),
            _opt("--regime", ["counts", "finance", "monitor", "governance", "mrsa-objective"]),
            database,
            what_if,
        ),
        cmd(
            ["finance"], _opt("--period", YEARS + QUARTERS, True), _opt("--rulebook", RULEBOOKS), database, what_if, out
        ),
        cmd(["chance"], year, _opt("--quarter", QUARTERS), _opt("--rulebook", RULEBOOKS), database, what_if, out),
        cmd(
            ["funnel"],
            year,
            _opt("--overdispersion", ["winsorised", "truncated"]),
            _opt("--kind", ["pct", "trust"]),
            database,
            what_if,
            out,
        ),
        cmd(["savings"], year, database, what_if),
        cmd(["reviews"], year, database, out),
        cmd(["compare"], _arg(RULEBOOKS), _arg(RULEBOOKS), year, _opt("--set-b", SETS), database, out),
        cmd(
            ["decide"],
            _arg(ORGS),
            quarter,
            _opt("--reason", ["why"], True),
            _opt("--by", ["me"], True),
            _opt("--rating", ["red", "green", "purple"]),
            _opt("--action", ["hold", "accept", "escalate"]),
            _opt("--db", dbs[3:] + [str(tmp / "copy.sqlite")], True),
        ),
        cmd(["rulebooks", "show"], _arg(RULEBOOKS), what_if),
        cmd(["import"], _arg([str(tmp), "/nonexistent", "/etc/passwd"]), _opt("--db", [str(tmp / "new.sqlite")], True)),
        cmd(
            ["import-published"],
            _arg(["/nonexistent.csv", "/etc/passwd", str(tmp)]),
            _opt("--db", [str(tmp / "new.sqlite")], True),
        ),
        cmd(["imports"], database),
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("hostile")
    folder = write_folder(
        tmp / "gov",
        organisations=case.ORGS,
        infections=case.INFECTIONS,
        denominators=None,
        objectives=case.OBJECTIVES,
        indicators=case.INDICATORS,
        events=case.EVENTS,
    )
    path = tmp / "db.sqlite"
    result = runner.invoke(app, ["import", str(folder), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return str(path)


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_command_prints_a_traceback(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: st.DataObject
) -> None:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    monkeypatch.chdir(work)  # a relative path (a mistyped --db, say) lands where it is checked
    args = data.draw(_commands(db, work))
    before = _files(work)
    db_bytes = Path(db).read_bytes()
    result = runner.invoke(app, args, catch_exceptions=True)
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert "Traceback" not in output and "Error: an unexpected" not in output, (args, output)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, output)
    assert "secret" not in output, (args, output)
    if result.exit_code != 0:
        # a refused command writes nothing: no file, and the database as it was
        assert _files(work) == before, (args, output)
        assert Path(db).read_bytes() == db_bytes, (args, output)
        last = output.strip().splitlines()[-1] if output.strip() else ""
        assert last.startswith(("Refused:", "Error:", "Try ", "  ")) or "Usage:" in output, (args, output)
    for stray in ("mistyped.sqlite", "new.sqlite"):
        assert not (work / stray).exists() or result.exit_code == 0, args


@pytest.mark.parametrize(
    "args",
    [
        ["rates", "--year", "2012-13"],  # the default database does not exist
        ["governance", "--quarter", "2012-13-Q5"],
        ["objectives", "cdiff", "--year", "2012-13", "--kind", "pct", "--db", "{db}"],
        ["rates", "--year", "2012-13", "--db", "{db}", "--out", "{tmp}/a-file/x.csv"],
    ],
)
def test_the_installed_command_prints_one_line(db: str, tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a-file").write_text("x")
    argv = [a.format(db=db, tmp=tmp_path) for a in args]
    env = {**os.environ, "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-m", "nhs_oversight.cli", *argv], capture_output=True, text=True, env=env, timeout=120
    )
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode in (0, 1, 2)
    if done.returncode:
        assert len(done.stderr.strip().splitlines()) <= 2, done.stderr
