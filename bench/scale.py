"""Benchmark at scale: import and every assessment at 1 ×, 10 × and 100 × national size,
each beside a floor measured in the same run (run on demand with `make bench`, never a test).

The national-size demo data set (about 500 organisations, six years of monthly counts,
indicators, events, financials, case-level records) is copied under new organisation codes
(:func:`bench.objectives._scale`'s way, extended to every table). For each size it prints,
per step, the time and the peak resident memory (the child process's maximum resident
set size, from ``wait4`` through ``/usr/bin/time``, so it is the command's own) and CPU seconds
(user + system) of:

- ``import``: ``oversight import FOLDER --db X --replace``, beside the floor: reading the
  same CSVs with pandas and writing them to a SQLite database of the same schema with the
  driver's bulk path (``sqlite3`` ``executemany``), one table at a time;
- each assessment (``rates``, ``objectives mrsa``/``cdiff``, ``monitor``, ``governance``,
  ``chance``), each writing its whole table with ``--out x.csv``, beside the floor:
  ``python -c "import pandas, sqlalchemy"`` (start-up).

Every ratio is the step's time over its floor's time. Goals (2-core machine): at 100 ×,
import at most 2 × its floor and under 2 GiB; ``monitor`` and ``objectives`` under 8 × and
``governance`` under 12 × the start-up floor; at 1 × every assessment at most 2.5 ×.

With ``--postgres URL`` (or ``--postgres auto``: a throw-away cluster on a loopback port) the
same steps run again against a PostgreSQL server, the import beside pandas + psycopg's ``COPY``;
those times are wall seconds, since the server's work happens outside the command's process.

Run: ``.venv/bin/python bench/scale.py [--sizes 1 10 100] [--repeat 3] [--workdir DIR]
[--postgres URL|auto]``.
Sizes above 10 are measured once (they are slow); smaller ones take the median of --repeat.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEAR, QUARTER = "2012-13", "2012-13-Q2"

#: The columns holding an organisation code, or an id that must stay unique, in each table.
_CODED = {
    "organisations": ("code",),
    "infections": ("org_code",),
    "cases": ("case_id", "reporting_org", "responsible_org"),
    "denominators": ("org_code",),
    "objectives": ("org_code",),
    "indicators": ("org_code",),
    "financials": ("org_code",),
    "events": ("event_id", "org_code"),
}

#: The floor of an import: pandas reads each CSV (its own types), sqlite3 ``executemany`` writes
#: it, one table at a time; no validation, no merge, no import log.
_IMPORT_FLOOR = r"""
import sqlite3, sys
import pandas as pd
folder, db = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
for name in sys.argv[3:]:
    frame = pd.read_csv(f"{folder}/{name}.csv")
    cols = list(frame.columns)
    con.execute(f"DELETE FROM {name}")
    con.executemany(
        f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None),
    )
    del frame
con.commit()
"""


#: The floor of an import into PostgreSQL: pandas reads each CSV, psycopg's ``COPY … FROM STDIN``
#: writes it, one table at a time, in one transaction.
_IMPORT_FLOOR_PG = r"""
import sys
import pandas as pd
import psycopg
folder, url = sys.argv[1], sys.argv[2]
with psycopg.connect(url) as con, con.cursor() as cur:
    for name in reversed(sys.argv[3:]):
        cur.execute(f"DELETE FROM {name}")
    for name in sys.argv[3:]:
        frame = pd.read_csv(f"{folder}/{name}.csv", dtype=str)  # as text: the server parses it
        with cur.copy(f"COPY {name} ({', '.join(frame.columns)}) FROM STDIN") as copy:
            for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None):
                copy.write_row(row)
        del frame
"""


def scaled_frames(copies: int) -> dict:
    """The demo data set copied ``copies`` times under new codes (1: the demo data as it is)."""
    import pandas as pd

    from nhs_oversight.demo.generate import demo_frames

    frames = demo_frames()
    if copies == 1:
        return frames
    out = {}
    for name, frame in frames.items():
        parts = []
        for i in range(copies):
            part = frame.copy()
            for col in _CODED.get(name, ()):
                present = part[col].notna() & (part[col].astype(str) != "")
                part.loc[present, col] = part.loc[present, col].astype(str) + f"{i:02d}"
            parts.append(part)
        out[name] = pd.concat(parts, ignore_index=True)
    return out


def write_folder(folder: Path, copies: int) -> dict[str, int]:
    """Write the data folder of ``copies`` × national size (reused when already there)."""
    done = folder / ".complete"
    if done.exists():
        return {name: int(n) for name, n in (line.split() for line in done.read_text().splitlines())}
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, frame in scaled_frames(copies).items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
        counts[name] = len(frame)
    done.write_text("".join(f"{k} {v}\n" for k, v in counts.items()))
    return counts


#: What ``run`` measures: CPU seconds (user + system) of the command's process, or its wall
#: time (PostgreSQL: the server's work is in another process, so only wall time shows it).
CLOCK = {"time": "cpu"}


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """CPU time (user + system) [s] — or wall time, when ``CLOCK["time"] == "wall"`` — and peak
    resident memory [MiB] of one command in a fresh process, as ``/usr/bin/time`` reads them
    from ``wait4`` (so the peak is the command's own, not this process's). CPU seconds, as the
    issue measured them: other work on a shared machine moves wall time far more."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as usage:
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %S %M", "-o", usage.name, *cmd], capture_output=True, text=True, env=env
        )
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        wall, user, system, rss = usage.read().split()[-4:]
    seconds = float(wall) if CLOCK["time"] == "wall" else float(user) + float(system)
    return seconds, int(rss) / 1024


def measure(cmd: list[str], repeat: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Median time, and the peak memory of the run with that time's neighbour (max)."""
    results = [run(cmd, env) for _ in range(repeat)]
    return statistics.median(t for t, _ in results), max(m for _, m in results)


def _pg_database(server: str, name: str) -> str:
    """A new, empty database ``name`` on the PostgreSQL server (dropped first if there)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def bench_size(
    copies: int, workdir: Path, repeat: int, pg: str | None = None
) -> list[tuple[str, float, float, str, float, float]]:
    """(step, time, peak MiB, floor name, floor time, floor peak MiB) rows for one size, on a
    SQLite file, or on the PostgreSQL server ``pg`` (a URL) when given."""
    py = sys.executable
    exe = str(Path(py).with_name("oversight"))
    cli = [exe] if Path(exe).exists() else [py, "-m", "nhs_oversight.cli"]
    folder = workdir / f"x{copies}"
    counts = write_folder(folder, copies)
    db = workdir / f"x{copies}.sqlite"
    target = str(db)
    env = dict(os.environ, OVERSIGHT_DB=str(db), NO_COLOR="1", COLUMNS="200")
    rows = []
    names = [n for n in counts if (folder / f"{n}.csv").exists()]

    # import (a fresh database each time) beside the floor
    def fresh_import() -> list[str]:
        nonlocal target
        if pg is None:
            db.unlink(missing_ok=True)
        else:
            target = _pg_database(pg, f"oversight_bench_x{copies}")
        return [*cli, "import", str(folder), "--db", target, "--replace"]

    times = [run(fresh_import(), env) for _ in range(repeat)]
    t_imp, m_imp = statistics.median(t for t, _ in times), max(m for _, m in times)
    if pg is None:
        floor_db = workdir / f"x{copies}-floor.sqlite"
        if not floor_db.exists():
            shutil.copy(db, floor_db)  # the same schema (emptied by the floor before writing)
        t_fl, m_fl = measure([py, "-c", _IMPORT_FLOOR, str(folder), str(floor_db), *names], repeat)
        rows.append(("import", t_imp, m_imp, "pandas read + sqlite3 executemany", t_fl, m_fl))
    else:  # the floor writes into a database of the same schema (an import makes one)
        floor_url = _pg_database(pg, f"oversight_bench_floor_x{copies}")
        subprocess.run([*cli, "import", str(workdir / "x1"), "--db", floor_url], check=True, capture_output=True)
        plain = floor_url.replace("postgresql+psycopg://", "postgresql://")
        t_fl, m_fl = measure([py, "-c", _IMPORT_FLOOR_PG, str(folder), plain, *names], repeat)
        rows.append(("import", t_imp, m_imp, "pandas read + psycopg COPY", t_fl, m_fl))
    db_arg = target
    out = workdir / "out.csv"
    steps = {
        "rates": ["rates", "--year", YEAR],
        "objectives mrsa": ["objectives", "mrsa", "--year", YEAR],
        "objectives cdiff": ["objectives", "cdiff", "--year", YEAR],
        "monitor": ["monitor", "--quarter", QUARTER],
        "governance": ["governance", "--quarter", QUARTER],
        "chance": ["chance", "--year", YEAR, "--quarter", QUARTER],
    }
    startup = [py, "-c", "import pandas, sqlalchemy"]
    measured, floor = {}, [run(startup)]
    for step, args in steps.items():  # the floor measured between the steps, under the same load
        measured[step] = measure([*cli, *args, "--db", db_arg, "--out", str(out)], repeat, env)
        floor.append(run(startup))
    t_start, m_start = statistics.median(t for t, _ in floor), max(m for _, m in floor)
    for step, (t, m) in measured.items():
        rows.append((step, t, m, "import pandas, sqlalchemy", t_start, m_start))
    return rows


def _show(rows: list[tuple[str, float, float, str, float, float]]) -> None:
    """Print one size's rows: each step beside its floor, and the ratio."""
    print(f"  {'step':<17} {'time':>8} {'peak':>9}   {'floor':<34} {'time':>8} {'peak':>9} {'ratio':>7}")
    for step, t, m, floor, tf, mf in rows:
        print(f"  {step:<17} {t:>7.2f}s {m:>6.0f}MiB   {floor:<34} {tf:>7.2f}s {mf:>6.0f}MiB {t / tf:>6.1f}×")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep the generated folders here (default: a temporary one)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure on this PostgreSQL server (a URL it may CREATE DATABASE on; 'auto': a throw-away "
        "cluster from the PostgreSQL binaries on this machine, on a loopback port); times are then wall "
        "seconds, since the server's work is outside the command's process",
    )
    args = parser.parse_args()
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="oversight-scale-")
        workdir = Path(tmp.name)
    else:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        print(f"nhs-oversight at scale ({os.cpu_count()} CPUs; time = CPU seconds, user + system; peak = max RSS)")
        for copies in args.sizes:
            repeat = args.repeat if copies <= 10 else 1
            rows = bench_size(copies, workdir, repeat)
            print(f"\n{copies} × national size, SQLite (median of {repeat})")
            _show(rows)
        if args.postgres:
            server, cluster = args.postgres, None
            if server == "auto":
                sys.path.insert(0, str(HERE.parent))
                from tests.backends import find_pg_bindir, start_cluster

                bindir = find_pg_bindir()
                if bindir is None:
                    raise SystemExit("--postgres auto: no PostgreSQL binaries on this machine")
                cluster = start_cluster(bindir)
                server = cluster.url
            CLOCK["time"] = "wall"
            write_folder(workdir / "x1", 1)
            try:
                for copies in args.sizes:
                    repeat = args.repeat if copies <= 10 else 1
                    rows = bench_size(copies, workdir, repeat, pg=server)
                    print(f"\n{copies} × national size, PostgreSQL (wall seconds; median of {repeat})")
                    _show(rows)
            finally:
                if cluster is not None:
                    cluster.stop()
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
