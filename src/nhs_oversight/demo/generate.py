"""A seeded generator of a fictional national English NHS data set (2008-09 to 2013-14).

The data are **fictional**: organisation codes, names and every figure are invented by a
random-number generator.  They are shaped to be *realistic* so that the rules of
``RULES.md`` meet the situations they were written for, above all the small trusts with a
handful of cases where a de minimis or a single case decides a rating.

What the generator writes is a data folder per ``DATA.md``: ``organisations.csv``,
``denominators.csv``, ``infections.csv``, ``cases.csv``, ``objectives.csv``,
``indicators.csv``, ``financials.csv`` and ``events.csv``.  The same seed gives
byte-identical files.  The modules beside this one make the parts: ``organisations``
(trusts, PCTs, CCGs), ``cases`` (case-level MRSA reports), ``finance`` (financials and
events), ``years`` (the years covered).

Realism targets and where they come from
----------------------------------------
* Structure: about 150 acute trusts (85 foundation trusts, 65 NHS trusts, a few of them
  small specialist trusts), about 150 primary care trusts spread over the 10 strategic
  health authorities in roughly their real proportions, and 4 independent providers.
  Clinical commissioning groups replace the PCTs from 2013-14 (211 CCGs took over from
  152 PCTs on 1 April 2013): the demo splits each PCT area into 1 to 5 CCGs, 211 in all,
  so PCTs have counts and denominators up to 2012-13 and CCGs from 2013-14.  A CCG keeps
  its PCT's region (a simplification: the strategic health authorities closed then too).
* Denominators: about 36 million occupied bed-days a year across acute trusts (60,000 to
  750,000 a trust, fewer for specialist trusts) and an England population of about 52 to
  54 million growing about 0.7% a year, split over PCTs of 90,000 to 1.3 million people;
  a CCG's population is its share of its PCT area's, so national totals do not move.
* National infection totals per financial year (all cases reported by trusts, trust- plus
  non-trust-apportioned), taken from the issue brief and Department of Health
  announcements (19,754 C. difficile cases in 2011-12 falling to a national ambition of
  16,100 for 2012-13, an 18% reduction; MRSA below 1,000 in 2012-13):
  C. difficile 32,000 / 25,600 / 21,700 / 19,754 / 16,100 / 14,800 and
  MRSA 2,900 / 1,900 / 1,480 / 1,110 / 920 / 860 for 2008-09 ... 2013-14.  These are the
  *expected* totals; the counts drawn around them differ by sampling noise only.
* Trust-apportioned (hospital-onset) share: about 53% falling to 47% for C. difficile,
  about 42% falling to 34% for MRSA.
* 2012-13 C. difficile objectives: the 2011-12 trust-apportioned count less 18%, rounded
  half up; about 20 trusts end below 10 and about 4 at zero (HSJ, seed 000: "22 trusts
  have a target of fewer than 10 ... and four have a target of zero").  About a third
  of trusts have an agreed quarterly trajectory.
* Zero tolerance of MRSA from 2013-14: every MRSA case of 2013-14 is also written as a
  case-level record (``cases.csv``) with its post-infection review assignment (trust, CCG,
  third party, or awaited); the records give exactly the 2013-14 MRSA counts of
  ``infections.csv``.
* Finance and events: see :mod:`nhs_oversight.demo.finance`.

Model
-----
Expected monthly cases of an organisation = national expected cases of the month x its
share of the national weight, where weight = denominator x a persistent risk multiplier
(gamma, mean 1) x a yearly random effect; C. difficile has a mild winter peak.  Counts
are negative binomial (Poisson with a gamma-distributed mean) and split binomially into
trust- and non-trust-apportioned cases.  The national monthly total is then shared among
PCTs by a multinomial draw weighted by population x a persistent PCT risk factor, so the
PCT ``population`` counts add up exactly to the national total of each month.  From
April 2013 each PCT's count is shared among its CCGs by a multinomial draw on their
population shares, so the CCG counts add up to the national totals too.

Random streams
--------------
Everything up to 2012-13 (and the trusts' 2013-14 figures) comes from
``numpy.random.default_rng(seed)``, exactly as before CCGs were added; the CCGs, their
counts and the case-level records come from a separate stream,
``numpy.random.default_rng([seed, 2013])``, so adding them changed no earlier row.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from nhs_oversight.demo.cases import mrsa_cases
from nhs_oversight.demo.finance import FINANCE_FIRST_YEAR, events_frame, financials_frame
from nhs_oversight.demo.organisations import (
    N_ACUTE,
    N_CCG,
    N_INDEPENDENT,
    N_PCT,
    N_PROVIDERS,
    REGIONS,
    SPECIALTIES,
    CCGs,
    Organisations,
    build_ccgs,
    build_organisations,
)
from nhs_oversight.demo.years import CCG_FIRST_YEAR, FIRST_YEAR, LAST_YEAR, N_YEARS, YEARS, months, years_from
from nhs_oversight.periods import FinancialYear

__all__ = [
    "DEFAULT_SEED",
    "FIRST_YEAR",
    "LAST_YEAR",
    "REGIONS",
    "NATIONAL_CASES",
    "FILE_STEMS",
    "demo_frames",
    "generate_demo",
]

DEFAULT_SEED: int = 20121

ORGANISMS: Final[tuple[str, ...]] = ("cdiff", "mrsa")
#: Expected national cases per financial year FIRST_YEAR..LAST_YEAR [cases / year].
NATIONAL_CASES: Final[dict[str, tuple[int, ...]]] = {
    "cdiff": (32_000, 25_600, 21_700, 19_754, 16_100, 14_800),
    "mrsa": (2_900, 1_900, 1_480, 1_110, 920, 860),
}
#: National trust-apportioned share of cases per financial year [fraction].
TRUST_APPORTIONED_SHARE: Final[dict[str, tuple[float, ...]]] = {
    "cdiff": (0.53, 0.52, 0.50, 0.49, 0.48, 0.47),
    "mrsa": (0.42, 0.40, 0.38, 0.37, 0.35, 0.34),
}
_SEASONAL_AMPLITUDE: Final[dict[str, float]] = {"cdiff": 0.10, "mrsa": 0.04}
_NB_SHAPE: Final[float] = 15.0  # gamma shape of the negative binomial mean (overdispersion)

CDIFF_OBJECTIVE_YEAR: Final[FinancialYear] = FinancialYear(2012)
CDIFF_REDUCTION_PERCENT: Final[int] = 18
#: The first year with case-level MRSA records (zero tolerance, post-infection reviews).
CASES_FIRST_YEAR: Final[FinancialYear] = FinancialYear(2013)

INDICATORS: Final[tuple[str, ...]] = (
    "ae_4hr",
    "rtt_admitted",
    "rtt_non_admitted",
    "rtt_incomplete",
    "cancer_62d",
    "cancer_31d",
    "cancer_2ww",
)
#: Chance that a trust of average propensity fails the indicator in a quarter [probability].
_INDICATOR_FAILURE: Final[tuple[float, ...]] = (0.045, 0.035, 0.015, 0.02, 0.035, 0.012, 0.02)
_REPEAT_FAILURE: Final[float] = 0.5  # chance of failing again the quarter after a failure
INDICATOR_FIRST_YEAR: Final[int] = 2010
_NATIONAL_BED_DAYS: Final[float] = 36.0e6  # acute trusts, 2010-11 [bed-days / year]
_BED_DAY_DRIFT: Final[tuple[float, ...]] = (1.015, 1.008, 1.0, 0.995, 0.99, 0.985)
_NATIONAL_POPULATION: Final[float] = 52.0e6  # England, 2008-09 [people]
_POPULATION_GROWTH: Final[float] = 0.007  # [fraction / year]


def _month_arrays() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Months of the data set.

    Returns
    -------
    labels : list of str
        ``'2008-04'`` ... ``'2014-03'``.
    year_index : numpy.ndarray
        Index of each month's financial year in ``YEARS`` (0 = FIRST_YEAR).
    calendar_month : numpy.ndarray
        Calendar month number, 1 (January) to 12.
    """
    every = months()
    labels = [str(m) for m in every]
    year_index = np.array([YEARS.index(m.financial_year) for m in every])
    return labels, year_index, np.array([m.month for m in every])


def _round_half_up(x: np.ndarray) -> np.ndarray:
    """Round non-negative values half up to integers (``np.rint`` rounds half to even)."""
    return np.floor(np.asarray(x, dtype=float) + 0.5).astype(np.int64)


# ---------------------------------------------------------------------- denominators
def _scaled_clipped(x: np.ndarray, total: float, low: float, high: float) -> np.ndarray:
    """Rescale ``x`` to sum to ``total`` while keeping every value in [low, high]."""
    for _ in range(20):
        x = np.clip(x * total / x.sum(), low, high)
    return x


def _bed_days(orgs: Organisations, rng: np.random.Generator) -> np.ndarray:
    """Occupied bed-days of every provider per financial year [bed-days / year].

    Returns
    -------
    numpy.ndarray
        Shape (providers, years), integers.
    """
    spec = orgs.specialty[orgs.providers]
    base = np.empty(N_PROVIDERS)
    general = np.flatnonzero(spec[:N_ACUTE] < 0)
    for i in np.flatnonzero(spec >= 0):
        low, high = SPECIALTIES[spec[i]].bed_days
        base[i] = rng.uniform(low, high)
    special_total = base[spec >= 0].sum()
    draw = rng.lognormal(np.log(200_000), 0.58, size=general.size)
    base[general] = _scaled_clipped(draw, _NATIONAL_BED_DAYS - special_total, 60_000, 720_000)
    base[N_ACUTE:] = rng.uniform(10_000, 30_000, size=N_INDEPENDENT)

    # base year 2010-11: national drift for trusts, 8% a year growth for independents,
    # and a random walk of each provider around it
    since_base = np.arange(N_YEARS) - (FINANCE_FIRST_YEAR - FIRST_YEAR)
    independent = (np.arange(N_PROVIDERS) >= N_ACUTE)[:, None]
    trend = np.where(independent, 1.08 ** since_base[None, :], np.array(_BED_DAY_DRIFT)[None, :])
    walk = np.cumsum(rng.normal(0.0, 0.02, size=(N_PROVIDERS, N_YEARS)), axis=1)
    walk -= walk[:, since_base == 0]
    return _round_half_up(base[:, None] * trend * np.exp(walk))


def _populations(rng: np.random.Generator) -> np.ndarray:
    """Resident population of every PCT per financial year [people], shape (PCTs, years)."""
    draw = rng.lognormal(np.log(300_000), 0.55, size=N_PCT)
    base = _scaled_clipped(draw, _NATIONAL_POPULATION, 90_000, 1_250_000)
    growth = rng.normal(_POPULATION_GROWTH, 0.003, size=N_PCT)
    years = np.arange(N_YEARS)
    return _round_half_up(base[:, None] * (1.0 + growth[:, None]) ** years[None, :])


def _denominators_frame(
    orgs: Organisations, ccgs: CCGs, bed_days: np.ndarray, population: np.ndarray, ccg_population: np.ndarray
) -> pd.DataFrame:
    """``denominators.csv``: bed-days for providers, population for PCTs until 2012-13 and
    for CCGs from 2013-14, one row a year."""
    years = [str(y) for y in YEARS]
    n_org = N_PROVIDERS + N_PCT
    missing_pct = np.full((N_PCT, N_YEARS), np.nan)
    missing_provider = np.full((N_PROVIDERS, N_YEARS), np.nan)
    df = pd.DataFrame(
        {
            "org_code": np.repeat(orgs.code[:n_org], N_YEARS),
            "financial_year": np.tile(years, n_org),
            "bed_days": pd.array(np.concatenate([bed_days, missing_pct]).ravel(), dtype="Int64"),
            "population": pd.array(np.concatenate([missing_provider, population]).ravel(), dtype="Int64"),
        }
    )
    pct_code = set(orgs.code[orgs.pcts])
    replaced = df["financial_year"].map(FinancialYear.parse) >= CCG_FIRST_YEAR
    df = df[~(df["org_code"].isin(pct_code) & replaced)]
    ccg_years = [str(y) for y in YEARS if y >= CCG_FIRST_YEAR]
    ccg_rows = pd.DataFrame(
        {
            "org_code": np.repeat(ccgs.code, len(ccg_years)),
            "financial_year": np.tile(ccg_years, N_CCG),
            "bed_days": pd.array([pd.NA] * (N_CCG * len(ccg_years)), dtype="Int64"),
            "population": pd.array(ccg_population.ravel(), dtype="Int64"),
        }
    )
    df = pd.concat([df, ccg_rows], ignore_index=True)
    return df.sort_values(["org_code", "financial_year"]).reset_index(drop=True)


def _split_population(ccgs: CCGs, pct_population: np.ndarray) -> np.ndarray:
    """Each CCG's part of its PCT area's population [people], shape (CCGs, years).

    ``pct_population`` has shape (PCTs, years).  The CCGs of a PCT add up exactly to its
    population: cumulative shares are rounded half up and each CCG takes the difference.
    """
    out = np.empty((N_CCG, pct_population.shape[1]), dtype=np.int64)
    for j in range(N_PCT):
        at = np.flatnonzero(ccgs.pct == j)
        upto = _round_half_up(np.cumsum(ccgs.share[at])[:, None] * pct_population[j][None, :])
        upto[-1] = pct_population[j]
        out[at] = np.diff(upto, axis=0, prepend=0)
    return out


# ------------------------------------------------------------------------ infections
def _national_monthly(annual: tuple[int, ...], amplitude: float) -> np.ndarray:
    """Expected national cases per month [cases / month], summing to ``annual`` each year.

    Notes
    -----
    The log of the monthly level is interpolated linearly between the middles of the
    financial years (no step each April), multiplied by ``1 + amplitude cos(2 pi (m - 1) / 12)``
    (a January peak, ``m`` the calendar month) and rescaled to each year's total.
    """
    _, year_index, calendar_month = _month_arrays()
    t = np.arange(12 * N_YEARS) + 0.5
    middles = 12 * np.arange(N_YEARS) + 6.0
    level = np.exp(np.interp(t, middles, np.log(np.asarray(annual, dtype=float) / 12)))
    level *= 1.0 + amplitude * np.cos(2 * np.pi * (calendar_month - 1) / 12)
    per_year = np.bincount(year_index, weights=level)
    return level * (np.asarray(annual, dtype=float) / per_year)[year_index]


@dataclass(frozen=True)
class _InfectionCounts:
    """Drawn counts of one organism.

    Attributes
    ----------
    trust, non_trust : numpy.ndarray
        Provider counts, shape (providers, months) [cases / month].
    population : numpy.ndarray
        PCT counts, shape (PCTs, months) [cases / month].
    """

    trust: np.ndarray
    non_trust: np.ndarray
    population: np.ndarray


def _provider_risk(orgs: Organisations, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Persistent risk multipliers of providers per organism [ratio, mean about 1]."""
    spec = orgs.specialty[orgs.providers]
    cdiff_factor = np.array([SPECIALTIES[s].cdiff_factor if s >= 0 else 1.0 for s in spec])
    mrsa_factor = np.array([SPECIALTIES[s].mrsa_factor if s >= 0 else 1.0 for s in spec])
    cdiff_factor[N_ACUTE:] = 0.2
    mrsa_factor[N_ACUTE:] = 0.3
    shared = rng.gamma(4.0, 1 / 4.0, size=N_PROVIDERS)
    own = rng.gamma(3.0, 1 / 3.0, size=N_PROVIDERS)
    return {"cdiff": cdiff_factor * shared, "mrsa": mrsa_factor * (0.4 * shared + 0.6 * own)}


def _draw_infections(
    organism: str,
    risk: np.ndarray,
    bed_days: np.ndarray,
    population: np.ndarray,
    rng: np.random.Generator,
) -> _InfectionCounts:
    """Draw monthly counts of one organism for providers and PCTs."""
    _, year_index, _ = _month_arrays()
    national = _national_monthly(NATIONAL_CASES[organism], _SEASONAL_AMPLITUDE[organism])

    slope = rng.normal(0.0, 0.05, size=(N_PROVIDERS, 1))
    yearly = np.exp(slope * (np.arange(N_YEARS) - 2.5) + rng.normal(0.0, 0.10, size=(N_PROVIDERS, N_YEARS)))
    weight = bed_days * risk[:, None] * yearly
    share = weight / weight.sum(axis=0, keepdims=True)
    mean = share[:, year_index] * national[None, :]
    mean *= rng.gamma(_NB_SHAPE, 1 / _NB_SHAPE, size=mean.shape)
    total = rng.poisson(mean)

    base = np.log(np.array(TRUST_APPORTIONED_SHARE[organism]) / (1 - np.array(TRUST_APPORTIONED_SHARE[organism])))
    logit = base[None, :] + rng.normal(0.0, 0.4, size=(N_PROVIDERS, 1))
    p_trust = 1.0 / (1.0 + np.exp(-logit))
    trust = rng.binomial(total, p_trust[:, year_index])

    pct_risk = rng.gamma(6.0, 1 / 6.0, size=N_PCT)
    pct_weight = population * pct_risk[:, None]
    pct_p = (pct_weight / pct_weight.sum(axis=0, keepdims=True))[:, year_index].T
    pct_counts = rng.multinomial(total.sum(axis=0), pct_p).T
    return _InfectionCounts(trust=trust, non_trust=total - trust, population=pct_counts)


def _split_counts(ccgs: CCGs, pct_counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Share each PCT's monthly residents' cases among its CCGs (multinomial, by population
    share), shape (CCGs, months): the CCGs of a PCT add up to its count every month."""
    out = np.zeros((N_CCG, pct_counts.shape[1]), dtype=np.int64)
    for j in range(N_PCT):
        at = np.flatnonzero(ccgs.pct == j)
        out[at] = rng.multinomial(pct_counts[j], ccgs.share[at]).T
    return out


def _infections_frame(
    orgs: Organisations, ccgs: CCGs, counts: dict[str, _InfectionCounts], ccg_counts: dict[str, np.ndarray]
) -> pd.DataFrame:
    """``infections.csv`` in long form, every month and apportionment including zeros;
    PCT ``population`` rows until March 2013, CCG rows from April 2013."""
    labels, year_index, _ = _month_arrays()
    pct_months = np.array([YEARS[y] < CCG_FIRST_YEAR for y in year_index])
    pct_labels = [m for m, is_pct in zip(labels, pct_months) if is_pct]
    ccg_labels = [m for m, is_pct in zip(labels, pct_months) if not is_pct]
    parts: list[pd.DataFrame] = []

    def add(organism: str, apportionment: str, codes: np.ndarray, month_labels: list[str], values: np.ndarray) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "org_code": np.repeat(codes, len(month_labels)),
                    "organism": organism,
                    "month": np.tile(month_labels, len(codes)),
                    "apportionment": apportionment,
                    "cases": values.ravel().astype(np.int64),
                }
            )
        )

    for organism in ORGANISMS:
        c = counts[organism]
        add(organism, "trust", orgs.code[orgs.providers], labels, c.trust)
        add(organism, "non_trust", orgs.code[orgs.providers], labels, c.non_trust)
        add(organism, "population", orgs.code[orgs.pcts], pct_labels, c.population[:, pct_months])
        add(organism, "population", ccgs.code, ccg_labels, ccg_counts[organism])
    df = pd.concat(parts, ignore_index=True)
    return df.sort_values(["org_code", "organism", "month", "apportionment"]).reset_index(drop=True)


# ------------------------------------------------------------------------ objectives
def _objectives_frame(orgs: Organisations, cdiff: _InfectionCounts, rng: np.random.Generator) -> pd.DataFrame:
    """``objectives.csv``: 2012-13 C. difficile objectives of every acute trust.

    Notes
    -----
    objective = round_half_up(baseline x (100 - 18) / 100) with baseline the 2011-12
    trust-apportioned count, computed in integers.  About a third of trusts get an
    agreed cumulative trajectory: quarterly shares drawn from a Dirichlet distribution
    (slightly winter-weighted), cumulated and rounded half up, with q4 = objective.
    """
    _, year_index, _ = _month_arrays()
    baseline = cdiff.trust[:N_ACUTE, year_index == YEARS.index(CDIFF_OBJECTIVE_YEAR - 1)].sum(axis=1)
    objective = (baseline * (100 - CDIFF_REDUCTION_PERCENT) + 50) // 100
    with_trajectory = np.zeros(N_ACUTE, dtype=bool)
    with_trajectory[rng.choice(N_ACUTE, size=N_ACUTE // 3, replace=False)] = True
    shares = rng.dirichlet([10.0, 10.0, 11.0, 12.0], size=N_ACUTE)
    cumulative = np.cumsum(shares, axis=1)
    cumulative[:, 3] = 1.0
    trajectory = _round_half_up(objective[:, None] * cumulative)
    trajectory[:, 3] = objective
    df = pd.DataFrame(
        {
            "org_code": orgs.code[:N_ACUTE],
            "organism": "cdiff",
            "financial_year": str(CDIFF_OBJECTIVE_YEAR),
            "objective_cases": objective.astype(np.int64),
        }
    )
    for q in range(4):
        df[f"q{q + 1}"] = pd.array(np.where(with_trajectory, trajectory[:, q], np.nan), dtype="Int64")
    return df.sort_values("org_code").reset_index(drop=True)


# ------------------------------------------------------------------------ indicators
def _indicators_frame(orgs: Organisations, rng: np.random.Generator) -> pd.DataFrame:
    """``indicators.csv``: quarterly target results of acute trusts, 2010-11-Q1 onwards.

    Notes
    -----
    Failure follows a two-state Markov chain per trust and indicator: after a met
    quarter the chance of failing is the indicator's base rate x a persistent trust
    propensity (gamma, mean 1) x a winter factor for A&E; after a failed quarter it is
    ``_REPEAT_FAILURE``, so runs of three failed quarters occur.
    """
    quarters = [q for year in years_from(INDICATOR_FIRST_YEAR) for q in year.quarters()]
    n_ind = len(INDICATORS)
    propensity = rng.gamma(1.5, 1 / 1.5, size=(N_ACUTE, 1)) * rng.gamma(4.0, 1 / 4.0, size=(N_ACUTE, n_ind))
    base = np.array(_INDICATOR_FAILURE)[None, :] * propensity
    failed = np.zeros((N_ACUTE, n_ind, len(quarters)), dtype=bool)
    previous = np.zeros((N_ACUTE, n_ind), dtype=bool)
    for k, quarter in enumerate(quarters):
        winter = np.ones(n_ind)
        if quarter.number in (3, 4):
            winter[INDICATORS.index("ae_4hr")] = 2.0
        p = np.where(previous, _REPEAT_FAILURE, np.minimum(base * winter, 0.5))
        previous = rng.random(p.shape) < p
        failed[:, :, k] = previous
    df = pd.DataFrame(
        {
            "org_code": np.repeat(orgs.code[:N_ACUTE], n_ind * len(quarters)),
            "quarter": np.tile([str(q) for q in quarters], N_ACUTE * n_ind),
            "indicator": np.tile(np.repeat(INDICATORS, len(quarters)), N_ACUTE),
            "met": np.where(failed.ravel(), "false", "true"),
        }
    )
    return df.sort_values(["org_code", "quarter", "indicator"]).reset_index(drop=True)


# --------------------------------------------------------------------------- public
FILE_STEMS: Final[tuple[str, ...]] = (
    "organisations",
    "infections",
    "cases",
    "denominators",
    "objectives",
    "indicators",
    "financials",
    "events",
)


def demo_frames(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate the demo data set as DataFrames.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    dict of str to pandas.DataFrame
        Keyed by file stem (:data:`FILE_STEMS`), each sorted by its key with the columns
        of ``DATA.md``.  Values are as they will be written: counts and money as integers
        [cases; £ thousands], missing values as ``<NA>``, booleans as the text
        ``'true'``/``'false'``.

    Notes
    -----
    ``numpy.random.default_rng(seed)`` is split with ``spawn`` into independent streams
    (organisations, denominators, risks, infections, objectives and indicators,
    financials, events), so the tables never depend on dict or set order or the clock.
    What CCGs brought (the CCGs, their counts from April 2013, the case-level records)
    is drawn from ``numpy.random.default_rng([seed, 2013])`` split the same way, so the
    rows of the first stream are those the generator wrote before CCGs existed.
    """
    streams = np.random.default_rng(seed).spawn(7)
    orgs = build_organisations(streams[0])
    bed_days = _bed_days(orgs, streams[1])
    population = _populations(streams[1])
    risk = _provider_risk(orgs, streams[2])
    counts = {
        organism: _draw_infections(organism, risk[organism], bed_days, population, streams[3]) for organism in ORGANISMS
    }
    financials, profile = financials_frame(orgs, bed_days, streams[5])

    ccg_streams = np.random.default_rng([seed, CCG_FIRST_YEAR.start_year]).spawn(3)
    ccg_years = np.array([y >= CCG_FIRST_YEAR for y in YEARS])
    ccgs = build_ccgs(orgs, population[:, YEARS.index(CCG_FIRST_YEAR)], ccg_streams[0])
    _, year_index, _ = _month_arrays()
    ccg_months = ccg_years[year_index]
    ccg_counts = {o: _split_counts(ccgs, counts[o].population[:, ccg_months], ccg_streams[1]) for o in ORGANISMS}
    case_months = np.array([YEARS[y] >= CASES_FIRST_YEAR for y in year_index])
    mrsa = counts["mrsa"]
    cases = mrsa_cases(
        pd.DataFrame({"code": orgs.code[orgs.providers], "region": orgs.region[orgs.providers]}),
        pd.DataFrame({"code": ccgs.code, "region": ccgs.region}),
        mrsa.trust[:, case_months],
        mrsa.non_trust[:, case_months],
        ccg_counts["mrsa"][:, case_months[ccg_months]],
        [m for m in months() if m.financial_year >= CASES_FIRST_YEAR],
        ccg_streams[2],
    )
    ccg_population = _split_population(ccgs, population[:, ccg_years])
    organisations = pd.concat([orgs.frame(), ccgs.frame()], ignore_index=True)
    return {
        "organisations": organisations.sort_values("code").reset_index(drop=True),
        "infections": _infections_frame(orgs, ccgs, counts, ccg_counts),
        "cases": cases,
        "denominators": _denominators_frame(orgs, ccgs, bed_days, population, ccg_population),
        "objectives": _objectives_frame(orgs, counts["cdiff"], streams[4]),
        "indicators": _indicators_frame(orgs, streams[4]),
        "financials": financials,
        "events": events_frame(orgs, profile, streams[6]),
    }


def generate_demo(out_dir: pathlib.Path, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write the demo data folder.

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder to write into; created with its parents if missing.  Existing files of the
        same names are overwritten.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives byte-identical files.

    Returns
    -------
    dict of str to int
        Number of data rows (header excluded) written to each file, keyed by file name
        (``'organisations.csv'``, ...).
    """
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for stem, frame in demo_frames(seed).items():
        path = out_dir / f"{stem}.csv"
        frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        written[path.name] = len(frame)
    return written
