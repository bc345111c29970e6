"""Benchmark: exact Poisson intervals and funnel limits for a million values, both levels.

Times, in one run on the same data (counts and expected counts of a realistic spread of
organisation sizes, seeded):

- ours: :func:`nhs_oversight.stats.poisson.poisson_intervals` (exact, Byar, PHE's rule) and
  :func:`nhs_oversight.stats.funnel.funnel_limits` (interpolated, exact_test) at 95% and 99.8%;
- scipy, written the straightforward way (``scipy.stats.gamma.ppf`` for the intervals,
  ``poisson.ppf``/``cdf``/``pmf`` for the interpolated limits, ``special.pdtrik``/``gdtrib``
  for the exact-test limits): this is also what the package did before (issue 11 item 4);
- statsmodels' ``confint_poisson`` (exact-c), when statsmodels is installed;
- R (``qgamma`` intervals; ``qpois``/``ppois``/``dpois`` interpolated limits; PHE's
  ``poisson_funnel`` bisection for the exact-test limits, timed on a sample and scaled up),
  when ``Rscript`` is on the PATH.

Each time is the best of ``--repeat`` runs; ratios are the other tool's time over ours.

Run: ``.venv/bin/python bench/stats.py [--n 1000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import special, stats

LEVELS = (0.95, 0.998)

R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[3]); rep <- as.integer(args[4]); sample_n <- as.integer(args[5])
x <- readBin(args[1], "double", n); e <- readBin(args[2], "double", n)
best <- function(f) min(replicate(rep, system.time(f())[["elapsed"]]))
t_ci <- best(function() for (a in c(0.05, 0.002)) {
  lo <- ifelse(x > 0, qgamma(a / 2, pmax(x, 1)), 0); hi <- qgamma(1 - a / 2, x + 1) })
t_fun <- best(function() for (a in c(0.05, 0.002)) for (p in c(a / 2, 1 - a / 2)) {
  r <- qpois(p, e); y <- r - (ppois(r, e) - p) / dpois(r, e) })
# PHE's exact-test funnel (PHEindicatormethods R/utils.R poisson_funnel, via poisson_cis): it is
# written for one count at a time, so a sample is timed and the time scaled to n values
poisson_cis <- function(z, x_a, x_b) {
  q <- 1; tot <- 0; s <- 0; k <- 0
  while (any(k <= z, q > tot * 1e-10)) {
    tot <- tot + q
    if (k >= x_a & k <= x_b) s <- s + q
    if (tot > 1e30) { s <- s / 1e30; tot <- tot / 1e30; q <- q / 1e30 }
    k <- k + 1; q <- q * z / k }
  s / tot }
poisson_funnel <- function(obs, p, side) {
  v <- 0.5; dv <- 0.5
  if (side == "low") {
    while (dv > 1e-7) { dv <- dv / 2
      if (poisson_cis((1 + obs) * v / (1 - v), obs, 1e10) > p) v <- v - dv else v <- v + dv }
  } else {
    while (dv > 1e-7) { dv <- dv / 2
      if (poisson_cis((1 + obs) * v / (1 - v), 0, obs) < p) v <- v - dv else v <- v + dv } }
  (1 + obs) * v / (1 - v) }
xs <- pmax(x[seq_len(sample_n)], 1)
t_phe <- system.time(for (a in c(0.05, 0.002)) for (o in xs) {
  poisson_funnel(o, a / 2, "low"); poisson_funnel(o, a / 2, "high") })[["elapsed"]] * n / sample_n
cat(sprintf("ci_exact %.6f\nfunnel_interpolated %.6f\nfunnel_exact_test %.6f\n", t_ci, t_fun, t_phe))
"""


def best(f: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def scipy_exact_ci(x: np.ndarray) -> None:
    for level in LEVELS:
        a = 1 - level
        np.where(x > 0, stats.gamma.ppf(a / 2, np.maximum(x, 1.0)), 0.0)
        stats.gamma.ppf(1 - a / 2, x + 1.0)


def scipy_interpolated(e: np.ndarray) -> None:
    for level in LEVELS:
        a = 1 - level
        for p in (a / 2, 1 - a / 2):
            r = stats.poisson.ppf(p, e)
            r - (stats.poisson.cdf(r, e) - p) / stats.poisson.pmf(r, e)


def scipy_exact_test(e: np.ndarray) -> None:
    for level in LEVELS:
        a2 = (1 - level) / 2
        up = special.pdtrik(1 - a2, e) + 1
        np.where(up <= 1, special.gdtrib(1.0, a2, e), up)
        special.pdtrik(a2, e)


def run_r(x: np.ndarray, e: np.ndarray, repeat: int, sample_n: int) -> dict[str, float]:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        xf, ef, script = Path(tmp, "x.bin"), Path(tmp, "e.bin"), Path(tmp, "bench.R")
        x.astype("<f8").tofile(xf)
        e.astype("<f8").tofile(ef)
        script.write_text(R_SCRIPT)
        done = subprocess.run(
            [rscript, str(script), str(xf), str(ef), str(x.size), str(repeat), str(sample_n)],
            capture_output=True,
            text=True,
            check=True,
        )
    return {k: float(v) for k, v in (line.split() for line in done.stdout.strip().splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--r-sample", type=int, default=200, help="values for timing PHE's R bisection")
    args = parser.parse_args()

    from nhs_oversight.stats.funnel import funnel_limits
    from nhs_oversight.stats.poisson import poisson_intervals

    rng = np.random.default_rng(20120401)
    e = rng.gamma(2.0, 20.0, args.n) + 0.01  # expected cases: most trusts 5-100, a long tail
    x = rng.poisson(e).astype(float)

    ours = {
        "ci_exact": best(lambda: poisson_intervals(x, LEVELS, method="exact"), args.repeat),
        "ci_byar": best(lambda: poisson_intervals(x, LEVELS, method="byar"), args.repeat),
        "ci_phe": best(lambda: poisson_intervals(x, LEVELS, method="phe"), args.repeat),
        "funnel_interpolated": best(lambda: funnel_limits(e, LEVELS, method="interpolated"), args.repeat),
        "funnel_exact_test": best(lambda: funnel_limits(e, LEVELS, method="exact_test"), args.repeat),
        "exact_test_limits+positions": best(
            lambda: funnel_limits(e, LEVELS, method="exact_test").position(x), args.repeat
        ),
    }
    others: dict[str, dict[str, float]] = {
        "scipy": {
            "ci_exact": best(lambda: scipy_exact_ci(x), args.repeat),
            "funnel_interpolated": best(lambda: scipy_interpolated(e), args.repeat),
            "funnel_exact_test": best(lambda: scipy_exact_test(e), 1),
        }
    }
    try:
        from statsmodels.stats.rates import confint_poisson

        others["statsmodels"] = {
            "ci_exact": best(
                lambda: [confint_poisson(x, 1.0, method="exact-c", alpha=1 - lv) for lv in LEVELS], args.repeat
            )
        }
    except ImportError:
        pass
    r_times = run_r(x, e, args.repeat, args.r_sample)
    if r_times:
        others["R"] = r_times

    print(f"{args.n:,} values, levels {LEVELS}, best of {args.repeat} (seconds; ratio = other / ours)")
    tools = list(others)
    print(f"{'task':28s} {'ours':>9s}" + "".join(f" {t:>12s} {'ratio':>7s}" for t in tools))
    for task, t in ours.items():
        row = f"{task:28s} {t:9.3f}"
        for tool in tools:
            v = others[tool].get(task)
            row += f" {v:12.3f} {v / t:7.1f}" if v is not None else f" {'-':>12s} {'-':>7s}"
        print(row)
    if "R" in others:
        print(f"(R funnel_exact_test: PHE's bisection timed on {args.r_sample} counts and scaled to {args.n:,})")


if __name__ == "__main__":
    main()
