"""Benchmark: chance of breach and downgrade, and the rule-set comparison, for 100,000
organisation-quarters under three rulebooks (monitor-compliance-2012-13, the same without
the de minimis, and the size-scaled monitor-compliance-2012-13-poisson).

Trajectories are drawn from a realistic spread of trust sizes (seeded); the measured part is
the exact, vectorised computation (:func:`nhs_oversight.service.chance.chance_table` and
:func:`compare_rulebooks`), not the store.

Run: ``.venv/bin/python bench/chance.py [--n 100000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from nhs_oversight.rulebooks import apply_what_if, load_library
    from nhs_oversight.service.chance import chance_table, compare_rulebooks

    library = load_library()
    base = library.get("monitor-compliance-2012-13")
    rulebooks = {
        "de minimis 12": base,
        "no de minimis": apply_what_if(base, {"cdiff_de_minimis": 0}),
        "poisson 95%": library.get("monitor-compliance-2012-13-poisson"),
    }
    rng = np.random.default_rng(20121)
    annual = np.round(rng.lognormal(np.log(25), 0.8, args.n))
    quarter = rng.integers(1, 5, args.n)
    targets = pd.DataFrame(
        {
            "org_code": [f"T{i:06d}" for i in range(args.n)],
            "kind": "foundation_trust",
            "organism": "cdiff",
            "objective": annual * quarter / 4,  # year-to-date trajectory in equal quarters
        }
    )
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        tables = {name: chance_table(targets, rb, "bench") for name, rb in rulebooks.items()}
        compare_rulebooks(tables["de minimis 12"], tables["poisson 95%"])
        compare_rulebooks(tables["de minimis 12"], tables["no de minimis"])
        times.append(time.perf_counter() - start)
    print(
        f"{args.n:,} organisation-quarters x {len(rulebooks)} rulebooks, chance + 2 comparisons: "
        f"median {statistics.median(times):.2f} s over {args.repeat} runs"
    )


if __name__ == "__main__":
    main()
