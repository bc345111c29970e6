"""Benchmark: objectives and monitoring for a data set 100 times national size.

The demo data set (about 300 organisations, six years of monthly counts) is copied
100 times under new organisation codes: about 30,000 organisations and 6.6 million
monthly rows. Measured, with the median of --repeat runs and the process's peak resident memory so far:

1. the pure rules on frames: baseline rates, MRSA and C. difficile objectives (with a
   trace per organisation), and monitoring at 2012-13-Q2;
2. end to end through the store: the same through ``service`` on a SQLite database
   (loaded with ``DataFrame.to_sql``, which is not what is measured).

Run: ``.venv/bin/python bench/objectives.py [--copies 100] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd


def _scale(frames: dict[str, pd.DataFrame], copies: int) -> dict[str, pd.DataFrame]:
    out = {}
    for name in ("organisations", "infections", "denominators", "objectives"):
        frame = frames[name]
        col = "code" if name == "organisations" else "org_code"
        parts = []
        for i in range(copies):
            part = frame.copy()
            part[col] = part[col] + f"{i:02d}"
            parts.append(part)
        out[name] = pd.concat(parts, ignore_index=True)
    return out


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall time [s], and the process's peak resident memory so far [MiB]
    (tracemalloc would slow the allocation-heavy code it measures several times over)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), _peak_mib(), result


def _peak_mib() -> float:
    """This process's peak resident memory [MiB]: VmHWM, which (unlike ru_maxrss) starts
    afresh in a new program rather than carrying the parent's peak across exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.repeat)
        return

    from nhs_oversight.demo.generate import demo_frames
    from nhs_oversight.inputs.schemas import SCHEMAS
    from nhs_oversight.periods import FinancialYear
    from nhs_oversight.rulebooks import load_library
    from nhs_oversight.rules.hcai import period_rates
    from nhs_oversight.rules.objectives import Baseline, median_quartile_objectives, uniform_objectives
    from nhs_oversight.store import open_store
    from nhs_oversight.store.summaries import refresh_summaries

    library = load_library()
    frames = _scale(demo_frames(), args.copies)
    orgs, inf, den = frames["organisations"], frames["infections"], frames["denominators"]
    print(f"{len(orgs):,} organisations, {len(inf):,} monthly rows ({args.copies} copies of the demo data)")
    year = FinancialYear(2012)
    counting = library.get("hcai-counting-2008")
    mrsa_rb, cdiff_rb = library.get("mrsa-objective-2010-11"), library.get("cdiff-objective-2012-13")

    def rules_only():
        rates = period_rates(orgs, inf, den, (year - 1).months(), counting)
        for organism, rb in (("mrsa", mrsa_rb), ("cdiff", cdiff_rb)):
            part = rates[rates["organism"] == organism]
            unit = {"bed_days": "bed-days", "population": "population"}
            baselines = [
                Baseline(
                    r.org_code,
                    r.kind,
                    int(r.cases),
                    None if pd.isna(r.denominator) else float(r.denominator),
                    float(r.per),
                    unit[r.denominator_name],
                )
                for r in part.itertuples(index=False)
            ]
            traces: dict = {}
            if organism == "mrsa":
                median_quartile_objectives(baselines, rb, traces=traces)
            else:
                uniform_objectives(baselines, rb, 0.18, traces=traces)

    t, mem, _ = _timed(rules_only, args.repeat)
    print(f"  rules on frames (baseline rates, both objectives, traced): {t:.2f} s, peak RSS {mem:.0f} MiB")

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "big.sqlite"
        engine = open_store(db, create=True)
        start = time.perf_counter()
        with engine.begin() as conn:
            for name in ("organisations", "denominators", "objectives", "infections"):
                table = frames[name]
                table = table[[c.name for c in SCHEMAS[name].columns]]
                table.to_sql(name, conn, if_exists="append", index=False, chunksize=50_000)
            refresh_summaries(conn)  # the sums an import keeps: the assessments read them
        print(f"  (loading the store with to_sql: {time.perf_counter() - start:.1f} s, not measured)")
        engine.dispose()
        # a fresh process, so that its peak memory is the assessments' own
        subprocess.run([sys.executable, __file__, "--measure", str(db), "--repeat", str(args.repeat)], check=True)


def measure(db: str, repeat: int) -> None:
    """The assessments through the store, in a process of their own."""
    from nhs_oversight.periods import FinancialYear, Quarter
    from nhs_oversight.rulebooks import load_library
    from nhs_oversight.service import monitor_quarter, objectives_for_year
    from nhs_oversight.store import open_store

    library, engine = load_library(), open_store(db)
    year, quarter = FinancialYear(2012), Quarter.parse("2012-13-Q2")
    t, mem, _ = _timed(lambda: objectives_for_year(engine, library, "mrsa", year), repeat)
    print(f"  objectives mrsa --year 2012-13 through the store: {t:.2f} s, peak RSS {mem:.0f} MiB")
    t, mem, _ = _timed(lambda: objectives_for_year(engine, library, "cdiff", year), repeat)
    print(f"  objectives cdiff --year 2012-13 through the store: {t:.2f} s, peak RSS {mem:.0f} MiB")
    t, mem, table = _timed(lambda: monitor_quarter(engine, library, quarter), repeat)
    print(f"  monitor --quarter 2012-13-Q2 ({len(table):,} rows): {t:.2f} s, peak RSS {mem:.0f} MiB")


if __name__ == "__main__":
    main()
