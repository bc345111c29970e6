"""A seeded generator of a fictional national English NHS data set (2008-09 to 2013-14).

The data are **fictional**: organisation codes, names and every figure are invented by a
random-number generator.  They are shaped to be *realistic* so that the rules of
``RULES.md`` meet the situations they were written for, above all the small trusts with a
handful of cases where a de minimis or a single case decides a rating.

What the generator writes is a data folder per ``DATA.md``: ``organisations.csv``,
``denominators.csv``, ``infections.csv``, ``objectives.csv``, ``indicators.csv``,
``financials.csv`` and ``events.csv``.  The same seed gives byte-identical files.

Realism targets and where they come from
----------------------------------------
* Structure: about 150 acute trusts (85 foundation trusts, 65 NHS trusts, a few of them
  small specialist trusts), about 150 primary care trusts spread over the 10 strategic
  health authorities in roughly their real proportions, and 4 independent providers.
  PCTs are kept for every year although clinical commissioning groups replaced them in
  April 2013 (a documented simplification: the data set has no ``ccg`` rows).
* Denominators: about 36 million occupied bed-days a year across acute trusts (60,000 to
  750,000 a trust, fewer for specialist trusts) and an England population of about 52 to
  54 million growing about 0.7% a year, split over PCTs of 90,000 to 1.3 million people.
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
* Finance: income about £100m to £900m a year for acute trusts, EBITDA margins mostly 3-9%
  with a tail of struggling trusts, about 20 trusts whose PFI unitary payments exceed 10%
  of income (seed 002), a few dozen regulatory events 2010-2014.

Model
-----
Expected monthly cases of an organisation = national expected cases of the month x its
share of the national weight, where weight = denominator x a persistent risk multiplier
(gamma, mean 1) x a yearly random effect; C. difficile has a mild winter peak.  Counts
are negative binomial (Poisson with a gamma-distributed mean) and split binomially into
trust- and non-trust-apportioned cases.  The national monthly total is then shared among
PCTs by a multinomial draw weighted by population x a persistent PCT risk factor, so the
PCT ``population`` counts add up exactly to the national total of each month.
"""

from __future__ import annotations

import datetime as _dt
import pathlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from nhs_oversight.demo import names as _names
from nhs_oversight.inputs.schemas import SCHEMAS

DEFAULT_SEED: int = 20121
FIRST_YEAR: int = 2008  # financial year 2008-09
LAST_YEAR: int = 2013  # financial year 2013-14

#: The 10 strategic health authorities (2006-2013), the ``region`` of every organisation.
REGIONS: Final[tuple[str, ...]] = (
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East Coast",
    "South Central",
    "South West",
)
_TRUSTS_PER_REGION: Final[tuple[int, ...]] = (8, 23, 14, 9, 15, 17, 25, 12, 11, 16)
_PCTS_PER_REGION: Final[tuple[int, ...]] = (12, 23, 14, 9, 17, 14, 30, 8, 9, 14)
N_FOUNDATION_TRUSTS: Final[int] = 85
N_INDEPENDENT: Final[int] = 4

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

CDIFF_OBJECTIVE_YEAR: Final[int] = 2012
CDIFF_REDUCTION_PERCENT: Final[int] = 18

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
FINANCE_FIRST_YEAR: Final[int] = 2010
FINANCE_QUARTERLY_YEARS: Final[tuple[int, ...]] = (2012, 2013)

#: The money columns of ``financials.csv``, in the order of the data contract.
FINANCIAL_COLUMNS: Final[tuple[str, ...]] = SCHEMAS["financials"].names[2:]


@dataclass(frozen=True)
class _Specialty:
    """A kind of small specialist trust.

    Attributes
    ----------
    label : str
        Words inserted in the name ("Eye Hospital").
    count : int
        How many such trusts exist.
    bed_days : tuple of int
        Uniform range of occupied bed-days in 2010-11 [bed-days / year].
    cdiff_factor, mrsa_factor : float
        Infection risk relative to a general acute trust [ratio].
    income_uplift : float
        Income per bed-day relative to a general acute trust [ratio].
    """

    label: str
    count: int
    bed_days: tuple[int, int]
    cdiff_factor: float
    mrsa_factor: float
    income_uplift: float


_SPECIALTIES: Final[tuple[_Specialty, ...]] = (
    _Specialty("Eye Hospital", 2, (30_000, 45_000), 0.02, 0.10, 3.0),
    _Specialty("Women's Hospital", 3, (45_000, 70_000), 0.03, 0.20, 1.8),
    _Specialty("Children's Hospital", 2, (60_000, 95_000), 0.15, 0.50, 2.2),
    _Specialty("Orthopaedic Hospital", 3, (40_000, 80_000), 0.25, 0.50, 1.8),
    _Specialty("Heart and Chest Hospital", 2, (60_000, 100_000), 0.45, 0.80, 2.4),
    _Specialty("Cancer Centre", 2, (45_000, 80_000), 0.60, 0.80, 2.6),
)
_N_ACUTE: Final[int] = sum(_TRUSTS_PER_REGION)
_N_PCT: Final[int] = sum(_PCTS_PER_REGION)
_N_PROVIDERS: Final[int] = _N_ACUTE + N_INDEPENDENT
_N_YEARS: Final[int] = LAST_YEAR - FIRST_YEAR + 1
_NATIONAL_BED_DAYS: Final[float] = 36.0e6  # acute trusts, 2010-11 [bed-days / year]
_BED_DAY_DRIFT: Final[tuple[float, ...]] = (1.015, 1.008, 1.0, 0.995, 0.99, 0.985)
_NATIONAL_POPULATION: Final[float] = 52.0e6  # England, 2008-09 [people]
_POPULATION_GROWTH: Final[float] = 0.007  # [fraction / year]


# --------------------------------------------------------------------------- periods
def financial_year_label(year: int) -> str:
    """Label of the financial year starting in April of ``year`` (2012 -> ``'2012-13'``)."""
    return f"{year}-{(year + 1) % 100:02d}"


def _months() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Months of the data set.

    Returns
    -------
    labels : list of str
        ``'2008-04'`` ... ``'2014-03'``.
    year_index : numpy.ndarray
        Index of each month's financial year (0 = FIRST_YEAR).
    calendar_month : numpy.ndarray
        Calendar month number, 1 (January) to 12.
    """
    labels: list[str] = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for k in range(12):
            month = (3 + k) % 12 + 1
            labels.append(f"{year + (1 if month <= 3 else 0)}-{month:02d}")
    index = np.arange(12 * _N_YEARS)
    return labels, index // 12, (index + 3) % 12 + 1


def _round_half_up(x: np.ndarray) -> np.ndarray:
    """Round non-negative values half up to integers (``np.rint`` rounds half to even)."""
    return np.floor(np.asarray(x, dtype=float) + 0.5).astype(np.int64)


# --------------------------------------------------------------------- organisations
@dataclass(frozen=True)
class _Organisations:
    """The organisations in generation order: acute trusts, independents, then PCTs.

    Attributes
    ----------
    code, name, kind, region : numpy.ndarray
        The columns of ``organisations.csv`` (object arrays of str).
    specialty : numpy.ndarray
        Index into ``_SPECIALTIES`` for specialist trusts, -1 otherwise (providers only).
    """

    code: np.ndarray
    name: np.ndarray
    kind: np.ndarray
    region: np.ndarray
    specialty: np.ndarray

    @property
    def providers(self) -> slice:
        """Acute trusts and independent providers."""
        return slice(0, _N_PROVIDERS)

    @property
    def pcts(self) -> slice:
        """Primary care trusts."""
        return slice(_N_PROVIDERS, _N_PROVIDERS + _N_PCT)

    def frame(self) -> pd.DataFrame:
        """``organisations.csv`` sorted by code."""
        df = pd.DataFrame({"code": self.code, "name": self.name, "kind": self.kind, "region": self.region})
        return df.sort_values("code").reset_index(drop=True)


def _draw_codes(rng: np.random.Generator, first: str, n: int) -> np.ndarray:
    """Draw ``n`` distinct ODS-shaped codes: ``first`` + 2 uppercase alphanumerics.

    Codes that a CSV reader could take for a number or a missing value (``506``,
    ``5E1``, ``NAN``) are never drawn: after a digit ``first`` the second character is
    a letter other than ``E``.
    """
    alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    second = alnum if first.isalpha() else "ABCDFGHJKLMNPQRSTUVWXY"
    every = [first + a + b for a in second for b in alnum]
    candidates = np.array([c for c in every if c.upper() not in {"NAN", "NAT"}], dtype=object)
    return rng.choice(candidates, size=n, replace=False)


def _build_organisations(rng: np.random.Generator) -> _Organisations:
    """Invent codes, names, kinds and regions of every organisation."""
    places = list(rng.permutation(np.array(_names.candidate_places(), dtype=object)))
    trust_region = np.repeat(np.arange(len(REGIONS)), _TRUSTS_PER_REGION)
    pct_region = np.repeat(np.arange(len(REGIONS)), _PCTS_PER_REGION)

    specialty = np.full(_N_ACUTE, -1)
    n_special = sum(s.count for s in _SPECIALTIES)
    special_at = rng.choice(_N_ACUTE, size=n_special, replace=False)
    specialty[special_at] = np.repeat(np.arange(len(_SPECIALTIES)), [s.count for s in _SPECIALTIES])
    ft_weight = np.where(specialty >= 0, 4.0, 1.0)
    ft_at = rng.choice(_N_ACUTE, size=N_FOUNDATION_TRUSTS, replace=False, p=ft_weight / ft_weight.sum())
    trust_kind = np.full(_N_ACUTE, "nhs_trust", dtype=object)
    trust_kind[ft_at] = "foundation_trust"

    trust_place = [places.pop() for _ in range(_N_ACUTE)]
    trust_template = rng.choice(
        len(_names.GENERAL_TRUST_TEMPLATES),
        size=_N_ACUTE,
        p=np.array([6, 4, 2, 2, 2, 2, 2], dtype=float) / 20,
    )
    trust_name = []
    for i in range(_N_ACUTE):
        if specialty[i] >= 0:
            stem = f"{trust_place[i]} {_SPECIALTIES[specialty[i]].label}"
        else:
            template = _names.GENERAL_TRUST_TEMPLATES[trust_template[i]]
            stem = template.format(p=trust_place[i], q=places.pop() if "{q}" in template else "")
        trust_name.append(f"{stem} {_names.KIND_SUFFIX[trust_kind[i]]}")

    # about half of the PCTs share the place name of a general trust of their region
    pct_place: list[str] = []
    for r, n in enumerate(_PCTS_PER_REGION):
        local = [trust_place[i] for i in np.flatnonzero((trust_region == r) & (specialty < 0))]
        shared = list(rng.choice(np.array(local, dtype=object), size=min(n // 2, len(local)), replace=False))
        pct_place.extend(shared + [places.pop() for _ in range(n - len(shared))])
    pct_template = rng.integers(0, len(_names.PCT_TEMPLATES), size=_N_PCT)
    pct_name = []
    for j in range(_N_PCT):
        template = _names.PCT_TEMPLATES[pct_template[j]]
        pct_name.append(template.format(p=pct_place[j], q=places.pop() if "{q}" in template else ""))

    ind_name = [t.format(p=places.pop()) for t in _names.INDEPENDENT_TEMPLATES[:N_INDEPENDENT]]
    ind_region = rng.choice(len(REGIONS), size=N_INDEPENDENT)

    code = np.concatenate(
        [_draw_codes(rng, "R", _N_ACUTE), _draw_codes(rng, "N", N_INDEPENDENT), _draw_codes(rng, "5", _N_PCT)]
    )
    name = np.array(trust_name + ind_name + pct_name, dtype=object)
    kind = np.array(list(trust_kind) + ["independent"] * N_INDEPENDENT + ["pct"] * _N_PCT, dtype=object)
    region_index = np.concatenate([trust_region, ind_region, pct_region])
    region = np.array([REGIONS[r] for r in region_index], dtype=object)
    specialty_all = np.concatenate([specialty, np.full(N_INDEPENDENT + _N_PCT, -1)])
    if len(set(name)) != len(name) or len(set(code)) != len(code):  # pragma: no cover
        raise AssertionError("demo organisation names or codes are not unique")
    return _Organisations(code, name, kind, region, specialty_all)


# ---------------------------------------------------------------------- denominators
def _scaled_clipped(x: np.ndarray, total: float, low: float, high: float) -> np.ndarray:
    """Rescale ``x`` to sum to ``total`` while keeping every value in [low, high]."""
    for _ in range(20):
        x = np.clip(x * total / x.sum(), low, high)
    return x


def _bed_days(orgs: _Organisations, rng: np.random.Generator) -> np.ndarray:
    """Occupied bed-days of every provider per financial year [bed-days / year].

    Returns
    -------
    numpy.ndarray
        Shape (providers, years), integers.
    """
    spec = orgs.specialty[orgs.providers]
    base = np.empty(_N_PROVIDERS)
    general = np.flatnonzero(spec[:_N_ACUTE] < 0)
    for i in np.flatnonzero(spec >= 0):
        low, high = _SPECIALTIES[spec[i]].bed_days
        base[i] = rng.uniform(low, high)
    special_total = base[spec >= 0].sum()
    draw = rng.lognormal(np.log(200_000), 0.58, size=general.size)
    base[general] = _scaled_clipped(draw, _NATIONAL_BED_DAYS - special_total, 60_000, 720_000)
    base[_N_ACUTE:] = rng.uniform(10_000, 30_000, size=N_INDEPENDENT)

    # base year 2010-11: national drift for trusts, 8% a year growth for independents,
    # and a random walk of each provider around it
    since_base = np.arange(_N_YEARS) - (FINANCE_FIRST_YEAR - FIRST_YEAR)
    independent = (np.arange(_N_PROVIDERS) >= _N_ACUTE)[:, None]
    trend = np.where(independent, 1.08 ** since_base[None, :], np.array(_BED_DAY_DRIFT)[None, :])
    walk = np.cumsum(rng.normal(0.0, 0.02, size=(_N_PROVIDERS, _N_YEARS)), axis=1)
    walk -= walk[:, since_base == 0]
    return _round_half_up(base[:, None] * trend * np.exp(walk))


def _populations(rng: np.random.Generator) -> np.ndarray:
    """Resident population of every PCT per financial year [people], shape (PCTs, years)."""
    draw = rng.lognormal(np.log(300_000), 0.55, size=_N_PCT)
    base = _scaled_clipped(draw, _NATIONAL_POPULATION, 90_000, 1_250_000)
    growth = rng.normal(_POPULATION_GROWTH, 0.003, size=_N_PCT)
    years = np.arange(_N_YEARS)
    return _round_half_up(base[:, None] * (1.0 + growth[:, None]) ** years[None, :])


def _denominators_frame(orgs: _Organisations, bed_days: np.ndarray, population: np.ndarray) -> pd.DataFrame:
    """``denominators.csv``: bed-days for providers, population for PCTs, one row a year."""
    years = [financial_year_label(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
    n_org = _N_PROVIDERS + _N_PCT
    missing_pct = np.full((_N_PCT, _N_YEARS), np.nan)
    missing_provider = np.full((_N_PROVIDERS, _N_YEARS), np.nan)
    df = pd.DataFrame(
        {
            "org_code": np.repeat(orgs.code[:n_org], _N_YEARS),
            "financial_year": np.tile(years, n_org),
            "bed_days": pd.array(np.concatenate([bed_days, missing_pct]).ravel(), dtype="Int64"),
            "population": pd.array(np.concatenate([missing_provider, population]).ravel(), dtype="Int64"),
        }
    )
    return df.sort_values(["org_code", "financial_year"]).reset_index(drop=True)


# ------------------------------------------------------------------------ infections
def _national_monthly(annual: tuple[int, ...], amplitude: float) -> np.ndarray:
    """Expected national cases per month [cases / month], summing to ``annual`` each year.

    Notes
    -----
    The log of the monthly level is interpolated linearly between the middles of the
    financial years (no step each April), multiplied by ``1 + amplitude cos(2 pi (m - 1) / 12)``
    (a January peak, ``m`` the calendar month) and rescaled to each year's total.
    """
    _, year_index, calendar_month = _months()
    t = np.arange(12 * _N_YEARS) + 0.5
    middles = 12 * np.arange(_N_YEARS) + 6.0
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


def _provider_risk(orgs: _Organisations, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Persistent risk multipliers of providers per organism [ratio, mean about 1]."""
    spec = orgs.specialty[orgs.providers]
    cdiff_factor = np.array([_SPECIALTIES[s].cdiff_factor if s >= 0 else 1.0 for s in spec])
    mrsa_factor = np.array([_SPECIALTIES[s].mrsa_factor if s >= 0 else 1.0 for s in spec])
    cdiff_factor[_N_ACUTE:] = 0.2
    mrsa_factor[_N_ACUTE:] = 0.3
    shared = rng.gamma(4.0, 1 / 4.0, size=_N_PROVIDERS)
    own = rng.gamma(3.0, 1 / 3.0, size=_N_PROVIDERS)
    return {"cdiff": cdiff_factor * shared, "mrsa": mrsa_factor * (0.4 * shared + 0.6 * own)}


def _draw_infections(
    organism: str,
    risk: np.ndarray,
    bed_days: np.ndarray,
    population: np.ndarray,
    rng: np.random.Generator,
) -> _InfectionCounts:
    """Draw monthly counts of one organism for providers and PCTs."""
    _, year_index, _ = _months()
    national = _national_monthly(NATIONAL_CASES[organism], _SEASONAL_AMPLITUDE[organism])

    slope = rng.normal(0.0, 0.05, size=(_N_PROVIDERS, 1))
    yearly = np.exp(slope * (np.arange(_N_YEARS) - 2.5) + rng.normal(0.0, 0.10, size=(_N_PROVIDERS, _N_YEARS)))
    weight = bed_days * risk[:, None] * yearly
    share = weight / weight.sum(axis=0, keepdims=True)
    mean = share[:, year_index] * national[None, :]
    mean *= rng.gamma(_NB_SHAPE, 1 / _NB_SHAPE, size=mean.shape)
    total = rng.poisson(mean)

    base = np.log(np.array(TRUST_APPORTIONED_SHARE[organism]) / (1 - np.array(TRUST_APPORTIONED_SHARE[organism])))
    logit = base[None, :] + rng.normal(0.0, 0.4, size=(_N_PROVIDERS, 1))
    p_trust = 1.0 / (1.0 + np.exp(-logit))
    trust = rng.binomial(total, p_trust[:, year_index])

    pct_risk = rng.gamma(6.0, 1 / 6.0, size=_N_PCT)
    pct_weight = population * pct_risk[:, None]
    pct_p = (pct_weight / pct_weight.sum(axis=0, keepdims=True))[:, year_index].T
    pct_counts = rng.multinomial(total.sum(axis=0), pct_p).T
    return _InfectionCounts(trust=trust, non_trust=total - trust, population=pct_counts)


def _infections_frame(orgs: _Organisations, counts: dict[str, _InfectionCounts]) -> pd.DataFrame:
    """``infections.csv`` in long form, every month and apportionment including zeros."""
    labels, _, _ = _months()
    n_months = len(labels)
    parts: list[pd.DataFrame] = []
    for organism in ORGANISMS:
        c = counts[organism]
        for apportionment, codes, values in (
            ("trust", orgs.code[orgs.providers], c.trust),
            ("non_trust", orgs.code[orgs.providers], c.non_trust),
            ("population", orgs.code[orgs.pcts], c.population),
        ):
            parts.append(
                pd.DataFrame(
                    {
                        "org_code": np.repeat(codes, n_months),
                        "organism": organism,
                        "month": np.tile(labels, len(codes)),
                        "apportionment": apportionment,
                        "cases": values.ravel().astype(np.int64),
                    }
                )
            )
    df = pd.concat(parts, ignore_index=True)
    return df.sort_values(["org_code", "organism", "month", "apportionment"]).reset_index(drop=True)


# ------------------------------------------------------------------------ objectives
def _objectives_frame(orgs: _Organisations, cdiff: _InfectionCounts, rng: np.random.Generator) -> pd.DataFrame:
    """``objectives.csv``: 2012-13 C. difficile objectives of every acute trust.

    Notes
    -----
    objective = round_half_up(baseline x (100 - 18) / 100) with baseline the 2011-12
    trust-apportioned count, computed in integers.  About a third of trusts get an
    agreed cumulative trajectory: quarterly shares drawn from a Dirichlet distribution
    (slightly winter-weighted), cumulated and rounded half up, with q4 = objective.
    """
    year = CDIFF_OBJECTIVE_YEAR - 1 - FIRST_YEAR
    baseline = cdiff.trust[:_N_ACUTE, 12 * year : 12 * (year + 1)].sum(axis=1)
    objective = (baseline * (100 - CDIFF_REDUCTION_PERCENT) + 50) // 100
    with_trajectory = np.zeros(_N_ACUTE, dtype=bool)
    with_trajectory[rng.choice(_N_ACUTE, size=_N_ACUTE // 3, replace=False)] = True
    shares = rng.dirichlet([10.0, 10.0, 11.0, 12.0], size=_N_ACUTE)
    cumulative = np.cumsum(shares, axis=1)
    cumulative[:, 3] = 1.0
    trajectory = _round_half_up(objective[:, None] * cumulative)
    trajectory[:, 3] = objective
    df = pd.DataFrame(
        {
            "org_code": orgs.code[:_N_ACUTE],
            "organism": "cdiff",
            "financial_year": financial_year_label(CDIFF_OBJECTIVE_YEAR),
            "objective_cases": objective.astype(np.int64),
        }
    )
    for q in range(4):
        df[f"q{q + 1}"] = pd.array(np.where(with_trajectory, trajectory[:, q], np.nan), dtype="Int64")
    return df.sort_values("org_code").reset_index(drop=True)


# ------------------------------------------------------------------------ indicators
def _indicators_frame(orgs: _Organisations, rng: np.random.Generator) -> pd.DataFrame:
    """``indicators.csv``: quarterly target results of acute trusts, 2010-11-Q1 onwards.

    Notes
    -----
    Failure follows a two-state Markov chain per trust and indicator: after a met
    quarter the chance of failing is the indicator's base rate x a persistent trust
    propensity (gamma, mean 1) x a winter factor for A&E; after a failed quarter it is
    ``_REPEAT_FAILURE``, so runs of three failed quarters occur.
    """
    quarters = [
        f"{financial_year_label(y)}-Q{q}" for y in range(INDICATOR_FIRST_YEAR, LAST_YEAR + 1) for q in range(1, 5)
    ]
    n_ind = len(INDICATORS)
    propensity = rng.gamma(1.5, 1 / 1.5, size=(_N_ACUTE, 1)) * rng.gamma(4.0, 1 / 4.0, size=(_N_ACUTE, n_ind))
    base = np.array(_INDICATOR_FAILURE)[None, :] * propensity
    failed = np.zeros((_N_ACUTE, n_ind, len(quarters)), dtype=bool)
    previous = np.zeros((_N_ACUTE, n_ind), dtype=bool)
    for k, label in enumerate(quarters):
        winter = np.ones(n_ind)
        if label.endswith(("Q3", "Q4")):
            winter[INDICATORS.index("ae_4hr")] = 2.0
        p = np.where(previous, _REPEAT_FAILURE, np.minimum(base * winter, 0.5))
        previous = rng.random(p.shape) < p
        failed[:, :, k] = previous
    df = pd.DataFrame(
        {
            "org_code": np.repeat(orgs.code[:_N_ACUTE], n_ind * len(quarters)),
            "quarter": np.tile(quarters, _N_ACUTE * n_ind),
            "indicator": np.tile(np.repeat(INDICATORS, len(quarters)), _N_ACUTE),
            "met": np.where(failed.ravel(), "false", "true"),
        }
    )
    return df.sort_values(["org_code", "quarter", "indicator"]).reset_index(drop=True)


# ------------------------------------------------------------------------ financials
@dataclass(frozen=True)
class _FinanceProfile:
    """Persistent financial character of each provider (arrays over providers).

    Attributes
    ----------
    struggling : numpy.ndarray of bool
        Trusts with a weak or negative EBITDA margin that worsens.
    pfi_share : numpy.ndarray
        PFI unitary payments as a share of core income [fraction].
    """

    struggling: np.ndarray
    pfi_share: np.ndarray


def _finance_profile(orgs: _Organisations, rng: np.random.Generator) -> _FinanceProfile:
    """Which providers struggle and which carry heavy PFI schemes."""
    kind = orgs.kind[orgs.providers]
    chance = np.select([kind == "foundation_trust", kind == "nhs_trust"], [0.06, 0.16], 0.10)
    struggling = rng.random(_N_PROVIDERS) < chance
    pfi_share = np.zeros(_N_PROVIDERS)
    general = np.flatnonzero(orgs.specialty[:_N_ACUTE] < 0)
    chosen = rng.permutation(general)
    pfi_share[chosen[:20]] = rng.uniform(0.105, 0.16, size=20)
    pfi_share[chosen[20:55]] = rng.uniform(0.015, 0.09, size=35)
    struggling[chosen[:20]] |= rng.random(20) < 0.25  # heavy PFI and weak finances go together
    return _FinanceProfile(struggling=struggling, pfi_share=pfi_share)


def _annual_finance(
    orgs: _Organisations, bed_days: np.ndarray, profile: _FinanceProfile, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Annual figures per provider and year FINANCE_FIRST_YEAR..LAST_YEAR [£ thousands].

    Returns
    -------
    dict of str to numpy.ndarray
        Each of FINANCIAL_COLUMNS (shape (providers, years), float, unrounded), plus
        ``depreciation`` and ``exceptional_quarter`` (1-4, the quarter in which the
        exceptional income is recognised).
    """
    n, n_years = _N_PROVIDERS, LAST_YEAR - FINANCE_FIRST_YEAR + 1
    years = np.arange(n_years)[None, :]
    bd = bed_days[:, FINANCE_FIRST_YEAR - FIRST_YEAR :].astype(float)
    spec = orgs.specialty[orgs.providers]
    independent = np.arange(n) >= _N_ACUTE
    foundation = orgs.kind[orgs.providers] == "foundation_trust"
    uplift = np.array([_SPECIALTIES[s].income_uplift if s >= 0 else 1.0 for s in spec])[:, None]
    scale = rng.lognormal(0.0, 0.08, size=(n, 1))
    core = np.where(independent[:, None], 1.1 * bd, 35_000 + 0.95 * uplift * bd) * scale * 1.02**years

    struggling = profile.struggling[:, None]
    base = np.where(struggling, rng.normal(0.01, 0.02, (n, 1)), rng.normal(0.072, 0.015, (n, 1)))
    trend = np.where(struggling, rng.normal(-0.012, 0.006, (n, 1)), rng.normal(-0.002, 0.004, (n, 1)))
    # the financing part of a PFI unitary payment falls below EBITDA, so PFI lifts the margin
    expected_margin = base + trend * years + 0.45 * profile.pfi_share[:, None]
    margin = np.clip(expected_margin + rng.normal(0.0, 0.008, (n, n_years)), -0.12, 0.16)
    optimism = np.where(struggling, rng.normal(0.02, 0.008, (n, n_years)), rng.normal(0.006, 0.006, (n, n_years)))
    planned = core * np.maximum(expected_margin + optimism, 0.01)

    one_off = rng.random((n, n_years)) < np.where(struggling, 0.35, 0.04)
    exceptional = np.where(
        one_off,
        core * np.where(struggling, rng.uniform(0.01, 0.04, (n, n_years)), rng.uniform(0.004, 0.012, (n, n_years))),
        0.0,
    )
    income = core + exceptional
    ebitda = margin * core + exceptional
    expenses = income - ebitda
    depreciation = core * rng.uniform(0.022, 0.034, (n, 1))

    pfi = core * profile.pfi_share[:, None]
    pfi_liability0 = pfi[:, :1] * rng.uniform(4.5, 6.5, (n, 1))
    pfi_liability = pfi_liability0 * (1 - years / 30)
    has_loan = rng.random(n) < np.where(independent, 1.0, np.where(foundation, 0.3, 0.15))
    loan_share = np.where(independent, rng.uniform(0.2, 0.5, n), rng.uniform(0.05, 0.25, n))
    loan0 = np.where(has_loan, core[:, 0] * loan_share, 0.0)[:, None]
    loan = loan0 * (1 - years / 15)
    borrowings = pfi_liability + loan
    interest_payable = pfi_liability * rng.uniform(0.055, 0.08, (n, 1)) + loan * rng.uniform(0.03, 0.045, (n, 1))
    principal = np.broadcast_to(loan0 / 15 + pfi_liability0 / 30, (n, n_years))

    cash_days = np.where(
        struggling,
        rng.lognormal(np.log(10), 0.4, (n, 1)) * 0.85**years,
        rng.lognormal(np.log(40), 0.4, (n, 1)) * rng.lognormal(0, 0.15, (n, n_years)),
    )
    cash = expenses * np.clip(cash_days, 2, 120) / 360
    current_assets = cash + income * (rng.uniform(0.04, 0.08, (n, 1)) + 0.011)
    liabilities_share = np.where(struggling, rng.uniform(0.14, 0.21, (n, 1)), rng.uniform(0.085, 0.13, (n, 1)))
    current_liabilities = income * liabilities_share
    facility_days = np.where(
        foundation & (rng.random(n) < 0.9),
        rng.uniform(20, 40, n),
        np.where(independent & (rng.random(n) < 0.5), rng.uniform(10, 30, n), 0.0),
    )
    committed = np.broadcast_to(expenses[:, :1] * facility_days[:, None] / 360, (n, n_years))
    total_assets = core * rng.uniform(0.55, 1.0, (n, 1)) + 0.9 * pfi_liability
    # PDC dividend: 3.5% of net relevant assets (cash excluded)
    net_assets = np.maximum(total_assets - borrowings - current_liabilities - cash, 0.1 * total_assets)
    pdc = np.where(independent[:, None], 0.0, 0.035 * net_assets)
    interest_receivable = cash * rng.uniform(0.004, 0.008, (n, 1))
    return {
        "operating_income": income,
        "operating_expenses": expenses,
        "ebitda": ebitda,
        "planned_ebitda": planned,
        "exceptional_income": exceptional,
        "pdc_dividend": pdc,
        "interest_payable": interest_payable,
        "interest_receivable": interest_receivable,
        "pfi_unitary_payments": pfi,
        "loan_principal_repaid": principal,
        "cash": cash,
        "current_assets": current_assets,
        "current_liabilities": current_liabilities,
        "committed_facilities": committed,
        "total_assets": total_assets,
        "borrowings": borrowings,
        "depreciation": depreciation,
        "exceptional_quarter": rng.integers(1, 5, size=(n, n_years)).astype(float),
    }


_FLOWS: Final[tuple[str, ...]] = (
    "pdc_dividend",
    "interest_payable",
    "interest_receivable",
    "pfi_unitary_payments",
    "loan_principal_repaid",
    "depreciation",
)
_STOCKS: Final[tuple[str, ...]] = (
    "cash",
    "current_assets",
    "current_liabilities",
    "total_assets",
    "borrowings",
)


def _rounded_period(figures: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Round one period's figures to whole £ thousands, keeping the identities exact.

    ``operating_expenses = operating_income - ebitda`` and
    ``net_surplus = ebitda - depreciation - interest_payable + interest_receivable - pdc_dividend``
    hold on the rounded values.
    """
    out = {k: np.rint(v).astype(np.int64) for k, v in figures.items() if k != "exceptional_quarter"}
    out["operating_expenses"] = out["operating_income"] - out["ebitda"]
    out["net_surplus"] = (
        out["ebitda"] - out["depreciation"] - out["interest_payable"] + out["interest_receivable"] - out["pdc_dividend"]
    )
    out["current_assets"] = np.maximum(out["current_assets"], out["cash"])
    return out


def _quarter_to_date(annual: dict[str, np.ndarray], y: int, q: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Year-to-date figures at the end of quarter ``q`` of finance year index ``y``.

    Flows are phased evenly with a little noise (quarter 4 equals the year), exceptional
    income falls in its quarter, balances move from the previous year-end to this one.
    """
    n = _N_PROVIDERS
    if q == 4:
        return {k: v[:, y] for k, v in annual.items()}
    fraction = q / 4
    phased = fraction * (1 + rng.normal(0.0, 0.01, n))
    exceptional = np.where(annual["exceptional_quarter"][:, y] <= q, annual["exceptional_income"][:, y], 0.0)
    core = annual["operating_income"][:, y] - annual["exceptional_income"][:, y]
    core_margin = (annual["ebitda"][:, y] - annual["exceptional_income"][:, y]) / core
    income = core * phased
    out = {
        "operating_income": income + exceptional,
        "ebitda": income * (core_margin + rng.normal(0.0, 0.006, n)) + exceptional,
        "planned_ebitda": annual["planned_ebitda"][:, y] * fraction,
        "exceptional_income": exceptional,
        "committed_facilities": annual["committed_facilities"][:, y],
    }
    for k in _FLOWS:
        out[k] = annual[k][:, y] * fraction
    for k in _STOCKS:
        start, end = annual[k][:, y - 1], annual[k][:, y]
        out[k] = np.maximum(start + (end - start) * fraction * (1 + rng.normal(0.0, 0.05, n)), 0.0)
    return out


def _financials_frame(
    orgs: _Organisations, bed_days: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, _FinanceProfile]:
    """``financials.csv``: annual rows 2010-11..2013-14 and quarterly year-to-date rows."""
    profile = _finance_profile(orgs, rng)
    annual = _annual_finance(orgs, bed_days, profile, rng)
    codes = orgs.code[orgs.providers]
    parts: list[pd.DataFrame] = []
    for y, year in enumerate(range(FINANCE_FIRST_YEAR, LAST_YEAR + 1)):
        periods = [(financial_year_label(year), {k: v[:, y] for k, v in annual.items()})]
        if year in FINANCE_QUARTERLY_YEARS:
            periods += [
                (f"{financial_year_label(year)}-Q{q}", _quarter_to_date(annual, y, q, rng)) for q in range(1, 5)
            ]
        for period, figures in periods:
            rounded = _rounded_period(figures)
            frame = pd.DataFrame({"org_code": codes, "period": period})
            for column in FINANCIAL_COLUMNS:
                frame[column] = rounded[column]
            parts.append(frame)
    df = pd.concat(parts, ignore_index=True)
    return df.sort_values(["org_code", "period"]).reset_index(drop=True), profile


# ---------------------------------------------------------------------------- events
_CQC_MAJOR: Final[tuple[str, ...]] = (
    "CQC warning notice: major concern with staffing levels on medical wards (outcome 13)",
    "CQC major concern: care and welfare of people in the emergency department (outcome 4)",
    "CQC major concern: safeguarding and safety on elderly care wards (outcome 7)",
    "CQC major concern: meeting nutritional needs on surgical wards (outcome 5)",
)
_CQC_MODERATE: Final[tuple[str, ...]] = (
    "CQC moderate concern: cleanliness and infection control (outcome 8)",
    "CQC moderate concern: records (outcome 21)",
    "CQC moderate concern: staffing levels at night (outcome 13)",
    "CQC moderate concern: respecting and involving people (outcome 1)",
    "CQC moderate concern: supporting workers (outcome 14)",
    "CQC moderate concern: management of medicines (outcome 9)",
)


def _random_date(rng: np.random.Generator, first: _dt.date, last: _dt.date) -> str:
    """A uniformly drawn ISO date between ``first`` and ``last`` inclusive."""
    return (first + _dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))).isoformat()


def _events_frame(orgs: _Organisations, profile: _FinanceProfile, rng: np.random.Generator) -> pd.DataFrame:
    """``events.csv``: a few dozen regulatory events 2010-2014 with values and evidence."""
    kind = orgs.kind[orgs.providers]
    foundation = np.flatnonzero(kind == "foundation_trust")
    trusts = np.arange(_N_ACUTE)
    independents = np.arange(_N_ACUTE, _N_PROVIDERS)
    weight = np.where(profile.struggling, 6.0, 1.0)

    def pick(pool: np.ndarray, n: int, weighted: bool) -> np.ndarray:
        p = weight[pool] / weight[pool].sum() if weighted else None
        return rng.choice(pool, size=n, replace=False, p=p)

    start, end = _dt.date(2010, 4, 1), _dt.date(2014, 3, 31)
    rows: list[dict[str, object]] = []

    def add(
        org: int,
        date: str,
        kind_: str,
        value: object = None,
        cost: int | None = None,
        exceptional: str | None = None,
        evidence: str = "",
    ) -> None:
        rows.append(
            {
                "org_code": orgs.code[org],
                "date": date,
                "kind": kind_,
                "value": value,
                "estimated_cost": cost,
                "exceptional": exceptional,
                "evidence": evidence,
            }
        )

    for k, org in enumerate(pick(trusts, 4, True)):
        drastic = k == 0
        evidence = _CQC_MAJOR[k % len(_CQC_MAJOR)]
        if drastic:
            evidence += "; board forecasts cash exhausted within two quarters without support"
        add(
            org,
            _random_date(rng, start, end),
            "cqc_major_concern",
            cost=int(rng.integers(800, 6_000)),
            exceptional="true" if drastic else "false",
            evidence=evidence,
        )
    for org in pick(trusts, 8, False):
        add(
            org,
            _random_date(rng, start, end),
            "cqc_moderate_concern",
            cost=int(rng.integers(100, 1_200)),
            exceptional="false",
            evidence=str(rng.choice(np.array(_CQC_MODERATE, dtype=object))),
        )
    for org in pick(foundation, 3, True):
        add(
            org,
            _random_date(rng, start, end),
            "significant_breach",
            evidence="Monitor found the trust in significant breach of its terms of authorisation",
        )
    for org in pick(foundation, 4, False):
        year = int(rng.integers(2010, 2014))
        late = int(rng.integers(1, 22))
        add(
            org,
            (_dt.date(year, 5, 31) + _dt.timedelta(days=late)).isoformat(),
            "plan_late",
            value=late,
            evidence=f"Annual plan submitted {late} days after the deadline of 31 May {year}",
        )
    for org in pick(foundation, 3, False):
        year = int(rng.integers(2010, 2014))
        add(
            org,
            f"{year}-06-{int(rng.integers(5, 29)):02d}",
            "plan_incomplete",
            evidence="Annual plan returned as incomplete: financial templates missing the cash-flow forecast",
        )
    for org in pick(trusts, 2, True):
        year = int(rng.integers(2010, 2014))
        add(
            org,
            f"{year}-09-30",
            "pdc_unpaid",
            value=int(rng.integers(200, 2_500)),
            evidence="Half-year PDC dividend instalment not paid in full (value: unpaid £ thousands)",
        )
    for org in pick(foundation, 2, True):
        add(
            org,
            _random_date(rng, start, end),
            "pbc_breach",
            evidence="Unplanned breach of the prudential borrowing code: minimum dividend cover ratio",
        )
    ratings = ("BBB", "BBB-", "BB+", "BB", "B+")
    for org in independents:
        notch = int(rng.integers(9, 14))
        add(
            int(org),
            _random_date(rng, _dt.date(2013, 4, 1), end),
            "credit_rating",
            value=notch,
            evidence=f"External credit rating {ratings[notch - 9]} (value: notch on a scale 1 = AAA to 21 = D)",
        )
    share_orgs = np.concatenate([independents, pick(trusts, 2, False)])
    for org in share_orgs:
        high = org >= _N_ACUTE
        share = round(float(rng.uniform(0.55, 0.95) if high else rng.uniform(0.2, 0.6)), 2)
        add(
            org,
            _random_date(rng, _dt.date(2013, 4, 1), end),
            "block_contract_share",
            value=share,
            evidence="Share of NHS income under block contracts in 2013-14 contracts",
        )
    count_orgs = np.concatenate([independents, pick(trusts, 2, False)])
    for org in count_orgs:
        count = int(rng.integers(1, 4) if org >= _N_ACUTE else rng.integers(6, 26))
        add(
            org,
            _random_date(rng, _dt.date(2013, 4, 1), end),
            "commissioner_count",
            value=count,
            evidence="Commissioners each providing at least 5% of NHS income",
        )

    rows.sort(key=lambda r: (r["date"], r["org_code"], r["kind"]))
    df = pd.DataFrame(
        {
            "event_id": [f"E{i + 1:04d}" for i in range(len(rows))],
            **{column: [r[column] for r in rows] for column in ("org_code", "date", "kind")},
            # ints stay ints ("12", not "12.0") in an object column; None is written empty
            "value": pd.Series([r["value"] for r in rows], dtype=object),
            "estimated_cost": pd.array([r["estimated_cost"] for r in rows], dtype="Int64"),
            "exceptional": [r["exceptional"] for r in rows],
            "evidence": [r["evidence"] for r in rows],
        }
    )
    return df


# --------------------------------------------------------------------------- public
FILE_STEMS: Final[tuple[str, ...]] = (
    "organisations",
    "infections",
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
        Keyed by file stem (``'organisations'``, ``'infections'``, ``'denominators'``,
        ``'objectives'``, ``'indicators'``, ``'financials'``, ``'events'``), each sorted
        by its key with the columns of ``DATA.md``.  Values are as they will be written:
        counts and money as integers [cases; £ thousands], missing values as ``<NA>``,
        booleans as the text ``'true'``/``'false'``.

    Notes
    -----
    ``numpy.random.default_rng(seed)`` is split with ``spawn`` into independent streams
    (organisations, denominators, risks, infections, objectives and indicators,
    financials, events), so the tables never depend on dict or set order or the clock.
    """
    streams = np.random.default_rng(seed).spawn(7)
    orgs = _build_organisations(streams[0])
    bed_days = _bed_days(orgs, streams[1])
    population = _populations(streams[1])
    risk = _provider_risk(orgs, streams[2])
    counts = {
        organism: _draw_infections(organism, risk[organism], bed_days, population, streams[3]) for organism in ORGANISMS
    }
    financials, profile = _financials_frame(orgs, bed_days, streams[5])
    return {
        "organisations": orgs.frame(),
        "infections": _infections_frame(orgs, counts),
        "denominators": _denominators_frame(orgs, bed_days, population),
        "objectives": _objectives_frame(orgs, counts["cdiff"], streams[4]),
        "indicators": _indicators_frame(orgs, streams[4]),
        "financials": financials,
        "events": _events_frame(orgs, profile, streams[6]),
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
