"""Benchmarks (run on demand with `make bench`, never as tests).

1. Import a national-size data folder (the demo data set: ~300 organisations, six
   years of monthly counts, indicators, financials) into a fresh SQLite database, and
   read it back: every table, and counts and rates for every year.
2. The start-up time of `oversight --help` (a fresh interpreter each time).

Prints the median of several repetitions, and the peak memory of the import.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_import(repeat: int) -> list[tuple[str, str]]:
    from nhs_oversight.demo.generate import generate_demo
    from nhs_oversight.inputs import read_data_folder
    from nhs_oversight.periods import FinancialYear
    from nhs_oversight.rulebooks import load_library
    from nhs_oversight.service import rates_for_year
    from nhs_oversight.store import load_dataset, open_store, read_table
    from nhs_oversight.store.tables import DATA_TABLES

    library = load_library()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "national"
        counts = generate_demo(folder)
        rows.append(("data folder", ", ".join(f"{k} {v:,}" for k, v in counts.items())))
        t_read, data = _median_time(lambda: read_data_folder(folder, library), repeat)
        rows.append(("read + validate folder", f"{t_read:.2f} s"))

        def load_fresh():
            db = Path(tmp) / f"db-{time.perf_counter_ns()}.sqlite"
            engine = open_store(db, create=True)
            load_dataset(engine, data)
            return engine

        t_load, engine = _median_time(load_fresh, repeat)
        rows.append(("load into fresh SQLite", f"{t_load:.2f} s"))
        t_reload, _ = _median_time(lambda: load_dataset(engine, data), repeat)
        rows.append(("re-import same data (merge, unchanged)", f"{t_reload:.2f} s"))
        t_back, _ = _median_time(lambda: [read_table(engine, n) for n in DATA_TABLES], repeat)
        rows.append(("read back every table", f"{t_back:.2f} s"))
        years = [FinancialYear(y) for y in range(2008, 2014)]
        t_rates, _ = _median_time(lambda: [rates_for_year(engine, library, y) for y in years], repeat)
        rows.append(("counts and rates, 6 years x all organisations", f"{t_rates:.2f} s"))
        tracemalloc.start()
        engine2 = open_store(Path(tmp) / "peak.sqlite", create=True)
        load_dataset(engine2, read_data_folder(folder, library))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(("peak Python memory, read + load", f"{peak / 2**20:.0f} MiB"))
    return rows


def bench_startup(repeat: int) -> list[tuple[str, str]]:
    exe = Path(sys.executable).with_name("oversight")
    cmd = [str(exe), "--help"] if exe.exists() else [sys.executable, "-m", "nhs_oversight.cli", "--help"]
    t, _ = _median_time(lambda: subprocess.run(cmd, check=True, capture_output=True), repeat)
    t_py, _ = _median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), repeat)
    return [("oversight --help", f"{t * 1000:.0f} ms"), ("bare python start-up, for scale", f"{t_py * 1000:.0f} ms")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = bench_import(args.repeat) + bench_startup(max(args.repeat, 10))
    width = max(len(k) for k, _ in rows)
    print(f"nhs-oversight benchmarks (median of {args.repeat} runs)")
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")


if __name__ == "__main__":
    main()
