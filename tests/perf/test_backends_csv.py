"""PostgreSQL and SQLite give byte-identical outputs for every assessment on the demo data.

The demo data folder is generated once and imported (``oversight import``) into a SQLite file
and into a real PostgreSQL database (the throw-away cluster of :mod:`tests.backends`). Each
assessment command of the CLI that writes a table is then run in-process with ``--out
FILE.csv`` once against each database, and the two files must be byte for byte the same (and
hold rows, not just a header). The periods cover the years and quarters where the demo data
differ: 2010-11 (first rated year), 2012-13 (the year of the objectives), 2013-14 (CCGs, zero
tolerance, post-infection reviews, the continuity of service rating).

Before the comparisons, analysts' decisions are recorded in both databases (``oversight
decide``, with the decision log's clock frozen), so that the published ratings and decisions of
``governance`` and ``history`` are compared too. The PostgreSQL database runs in a time zone far
from UTC (``Pacific/Kiritimati``, UTC+14, where the decisions' instant falls on the next day):
no output may depend on the server's time zone.

A few outputs are also compared as JSON (the rows and the metadata but the ``database`` URL,
which names the database read); the commands that print rather than write a table (``savings``,
``explain --json``, and ``demo``, which builds its own database) are compared on their standard
output.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nhs_oversight.cli import app

runner = CliRunner()

#: A trust of the demo data rated in every quarter, with cases of both organisms.
TRUST = "R0C"
#: The PostgreSQL database's time zone: UTC+14 all year, so a date read in it is not UTC's.
PG_TIME_ZONE = "Pacific/Kiritimati"
#: When the decisions are recorded: 2013-01-16 02:00 in ``PG_TIME_ZONE``.
DECIDED_AT = dt.datetime(2013, 1, 15, 12, 0, tzinfo=dt.UTC)
#: Decisions on the downgrades awaiting one at 2012-13-Q2: accept, hold at a rating, escalate.
DECISIONS = (
    ["R0C", "--quarter", "2012-13-Q2", "--action", "accept"],
    ["R0J", "--quarter", "2012-13-Q2", "--rating", "amber_red"],
    ["R16", "--quarter", "2012-13-Q2", "--action", "escalate"],
)


@dataclass(frozen=True)
class Databases:
    """The demo data loaded twice: a SQLite file and a PostgreSQL database (URLs)."""

    sqlite: str
    postgresql: str

    def items(self) -> tuple[tuple[str, str], ...]:
        return (("sqlite", self.sqlite), ("postgresql", self.postgresql))


_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def pg_module_url(pg_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for this module, in ``PG_TIME_ZONE``, dropped afterwards
    (as the plugin's function-scoped ``pg_url``)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"oversight_csv_{os.getpid()}_{next(_numbers)}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone TO '{PG_TIME_ZONE}'")
        yield make_url(pg_server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def _invoke(args: list[str]) -> Result:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, f"oversight {' '.join(args)} failed ({result.exit_code}):\n{result.output}"
    return result


class _FrozenDatetime(dt.datetime):
    """A ``datetime`` whose clock reads ``DECIDED_AT``."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _FrozenDatetime:
        return cls.fromtimestamp(DECIDED_AT.timestamp(), tz)


class _FrozenClock:
    """Stands in for the ``datetime`` module of :mod:`nhs_oversight.store.decisions`."""

    UTC = dt.UTC
    datetime = _FrozenDatetime


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory, pg_module_url: str) -> Iterator[Databases]:
    """The demo data folder, written once, imported into both databases by ``oversight import``,
    with the same decisions recorded in each by ``oversight decide``."""
    root = tmp_path_factory.mktemp("backends-csv")
    with pytest.MonkeyPatch.context() as mp:  # the function-scoped home isolation is not active yet
        mp.setenv("XDG_DATA_HOME", str(root / "home" / "data"))
        mp.setenv("HOME", str(root / "home"))
        mp.delenv("OVERSIGHT_DB", raising=False)
        mp.delenv("OVERSIGHT_RULEBOOKS", raising=False)
        folder = root / "demo"
        _invoke(["demo-data", str(folder)])
        dbs = Databases(sqlite=f"sqlite:///{root / 'demo.sqlite'}", postgresql=pg_module_url)
        for _, url in dbs.items():
            _invoke(["import", str(folder), "--db", url])
            with pytest.MonkeyPatch.context() as clock:
                clock.setattr("nhs_oversight.store.decisions.dt", _FrozenClock)
                for decision in DECISIONS:
                    _invoke(["decide", *decision, "--reason", "Checked at review", "--by", "A. Analyst", "--db", url])
        yield dbs


# Every command that writes a table with --out, over the periods where the demo data differ.
TABLE_COMMANDS: dict[str, list[str]] = {
    "rates-2012-13": ["rates", "--year", "2012-13"],
    "rates-2010-11-mrsa-trust": ["rates", "--year", "2010-11", "--organism", "mrsa", "--kind", "trust"],
    "rates-2013-14-pct": ["rates", "--year", "2013-14", "--kind", "pct"],
    "objectives-mrsa-2012-13": ["objectives", "mrsa", "--year", "2012-13"],
    "objectives-mrsa-2012-13-pct": ["objectives", "mrsa", "--year", "2012-13", "--kind", "pct"],
    "objectives-mrsa-2010-11": ["objectives", "mrsa", "--year", "2010-11"],
    "objectives-mrsa-2013-14": ["objectives", "mrsa", "--year", "2013-14"],
    "objectives-cdiff-2012-13": ["objectives", "cdiff", "--year", "2012-13"],
    "objectives-cdiff-2012-13-median-quartile": [
        "objectives",
        "cdiff",
        "--year",
        "2012-13",
        "--method",
        "median-quartile",
        "--reduction",
        "0.2",
    ],
    "objectives-cdiff-2011-12-pct": ["objectives", "cdiff", "--year", "2011-12", "--kind", "pct"],
    "monitor-2012-13-Q2": ["monitor", "--quarter", "2012-13-Q2"],
    "monitor-mrsa-2013-14-Q3-pct": ["monitor", "--quarter", "2013-14-Q3", "--organism", "mrsa", "--kind", "pct"],
    "reviews-2013-14": ["reviews", "--year", "2013-14"],
    "governance-2012-13-Q2": ["governance", "--quarter", "2012-13-Q2"],
    "governance-2012-13-Q3": ["governance", "--quarter", "2012-13-Q3"],
    "governance-2010-11-Q3": ["governance", "--quarter", "2010-11-Q3"],
    "governance-2013-14-Q2": ["governance", "--quarter", "2013-14-Q2"],
    "governance-2012-13-Q2-poisson": [
        "governance",
        "--quarter",
        "2012-13-Q2",
        "--rulebook",
        "monitor-compliance-2012-13-poisson",
    ],
    "history-R0C": ["history", TRUST],
    "history-R0J": ["history", "R0J"],
    "finance-frr-2012-13": ["finance", "--period", "2012-13"],
    "finance-frr-2012-13-Q2": ["finance", "--period", "2012-13-Q2"],
    "finance-licence-2012-13": ["finance", "--period", "2012-13", "--rulebook", "monitor-licence-consultation-2012"],
    "finance-raf-2013-14": ["finance", "--period", "2013-14"],
    "finance-raf-2013-14-Q3-two-star": ["finance", "--period", "2013-14-Q3", "--two-star"],
    "chance-2012-13": ["chance", "--year", "2012-13"],
    "chance-2012-13-Q2": ["chance", "--year", "2012-13", "--quarter", "2012-13-Q2"],
    "chance-2012-13-pct": ["chance", "--year", "2012-13", "--kind", "pct"],
    "compare-2012-13": [
        "compare",
        "monitor-compliance-2012-13",
        "monitor-compliance-2012-13",
        "--year",
        "2012-13",
        "--set-b",
        "cdiff_de_minimis=0",
    ],
    "funnel-cdiff-trust-2012-13": ["funnel", "--year", "2012-13", "--organism", "cdiff"],
    "funnel-mrsa-pct-2013-14-shmi": [
        "funnel",
        "--year",
        "2013-14",
        "--organism",
        "mrsa",
        "--kind",
        "pct",
        "--overdispersion",
        "shmi",
    ],
    "spc-cdiff-xmr": ["spc", TRUST, "--organism", "cdiff"],
    "spc-cdiff-u": ["spc", TRUST, "--organism", "cdiff", "--chart", "u", "--from", "2010-04", "--to", "2014-03"],
    "spc-mrsa-t": ["spc", TRUST, "--organism", "mrsa", "--chart", "t"],
    "spc-mrsa-c": ["spc", TRUST, "--organism", "mrsa", "--chart", "c", "--from", "2012-04", "--to", "2013-03"],
}

#: Commands compared as JSON too: the rows and the metadata but ``database``.
JSON_COMMANDS = (
    "rates-2012-13",
    "objectives-mrsa-2012-13",
    "objectives-cdiff-2012-13",
    "monitor-2012-13-Q2",
    "governance-2012-13-Q2",
    "history-R0C",
    "finance-raf-2013-14",
)

#: Commands that print their result: compared on standard output.
PRINT_COMMANDS: dict[str, list[str]] = {
    "savings-mrsa-2012-13": ["savings", "--year", "2012-13", "--organism", "mrsa"],
    "savings-cdiff-2012-13": ["savings", "--year", "2012-13", "--organism", "cdiff"],
    "explain-counts-2012-13": ["explain", TRUST, "--period", "2012-13", "--json"],
    "explain-mrsa-objective-2012-13": ["explain", TRUST, "--period", "2012-13", "--regime", "mrsa-objective", "--json"],
    "explain-cdiff-objective-2012-13": [
        "explain",
        TRUST,
        "--period",
        "2012-13",
        "--regime",
        "cdiff-objective",
        "--json",
    ],
    "explain-monitor-2012-13-Q2": ["explain", TRUST, "--period", "2012-13-Q2", "--regime", "monitor", "--json"],
    "explain-governance-2012-13-Q2": ["explain", TRUST, "--period", "2012-13-Q2", "--json"],
    "explain-finance-2013-14": ["explain", TRUST, "--period", "2013-14", "--regime", "finance", "--json"],
}


def _write(databases: Databases, args: list[str], folder: Path, suffix: str) -> dict[str, bytes]:
    """Run ``oversight ARGS --db URL --out FILE`` for each database; the files' bytes by backend."""
    outputs = {}
    for backend, url in databases.items():
        out = folder / f"{backend}{suffix}"
        _invoke([*args, "--db", url, "--out", str(out)])
        outputs[backend] = out.read_bytes()
    return outputs


def _first_difference(a: bytes, b: bytes) -> str:
    """The first line that differs, for a readable failure."""
    lines_a, lines_b = a.decode().splitlines(), b.decode().splitlines()
    header = lines_a[0] if lines_a else ""
    for number, (x, y) in enumerate(itertools.zip_longest(lines_a, lines_b, fillvalue="<missing>"), start=1):
        if x != y:
            return f"line {number} differs\n  header:     {header}\n  sqlite:     {x}\n  postgresql: {y}"
    return "the files differ"


@pytest.mark.parametrize("args", list(TABLE_COMMANDS.values()), ids=list(TABLE_COMMANDS))
def test_csv_is_byte_identical(databases: Databases, args: list[str], tmp_path: Path) -> None:
    files = _write(databases, args, tmp_path, ".csv")
    sqlite, postgresql = files["sqlite"], files["postgresql"]
    assert sqlite.count(b"\n") > 1, f"only a header: {sqlite[:200]!r}"
    assert sqlite == postgresql, _first_difference(sqlite, postgresql)


@pytest.mark.parametrize("name", JSON_COMMANDS)
def test_json_is_identical(databases: Databases, name: str, tmp_path: Path) -> None:
    files = _write(databases, TABLE_COMMANDS[name], tmp_path, ".json")
    documents = {backend: json.loads(content) for backend, content in files.items()}
    for document in documents.values():
        document["metadata"].pop("database", None)  # names the database read
    assert len(documents["sqlite"]["rows"]) > 0
    # written again, one row a line: 1 and 1.0 are equal in Python but not in the file
    sqlite, postgresql = (
        "\n".join(json.dumps(part) for part in [documents[b]["metadata"], *documents[b]["rows"]])
        for b in ("sqlite", "postgresql")
    )
    assert sqlite == postgresql, _first_difference(sqlite.encode(), postgresql.encode())


@pytest.mark.parametrize("args", list(PRINT_COMMANDS.values()), ids=list(PRINT_COMMANDS))
def test_printed_result_is_identical(databases: Databases, args: list[str]) -> None:
    printed = {backend: _invoke([*args, "--db", url]).stdout for backend, url in databases.items()}
    sqlite, postgresql = printed["sqlite"], printed["postgresql"]
    assert sqlite.strip(), "nothing printed"
    assert sqlite == postgresql, _first_difference(sqlite.encode(), postgresql.encode())


def test_demo_summary_is_identical(tmp_path: Path, pg_url: str) -> None:
    """``oversight demo`` builds the database itself and runs every assessment for the latest
    year and quarter: its summary is the same on both (but for the lines naming the database
    and the files it wrote)."""
    printed = {}
    for backend, url in (("sqlite", f"sqlite:///{tmp_path / 'demo.sqlite'}"), ("postgresql", pg_url)):
        out_dir = tmp_path / backend
        text = _invoke(["demo", "--db", url, "--out-dir", str(out_dir)]).stdout
        printed[backend] = text.replace(url, "<database>").replace(str(out_dir), "<out-dir>")
    sqlite, postgresql = printed["sqlite"], printed["postgresql"]
    assert "Governance ratings" in sqlite and "Database: <database>" in sqlite, sqlite
    assert sqlite == postgresql, _first_difference(sqlite.encode(), postgresql.encode())
