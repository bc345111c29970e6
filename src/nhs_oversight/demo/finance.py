"""The demo's finances (``financials.csv``) and regulatory events (``events.csv``).

Finance: income about £100m to £900m a year for acute trusts, EBITDA margins mostly 3-9%
with a tail of struggling trusts, about 20 trusts whose PFI unitary payments exceed 10%
of income (seed 002), and a few dozen regulatory events 2010-2014.  Every figure is invented.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, cast

import numpy as np
import pandas as pd

from nhs_oversight.demo.organisations import N_ACUTE, N_PROVIDERS, SPECIALTIES, Organisations
from nhs_oversight.demo.years import FIRST_YEAR, LAST_YEAR, years_from
from nhs_oversight.inputs.schemas import SCHEMAS
from nhs_oversight.periods import FinancialYear, Month

FINANCE_FIRST_YEAR: Final[int] = 2010  # financials.csv starts in 2010-11
#: Years with quarterly year-to-date rows besides the annual ones.
FINANCE_QUARTERLY_YEARS: Final[tuple[FinancialYear, ...]] = (FinancialYear(2012), FinancialYear(2013))

#: The money columns of ``financials.csv``, in the order of the data contract.
FINANCIAL_COLUMNS: Final[tuple[str, ...]] = SCHEMAS["financials"].names[2:]


# ------------------------------------------------------------------------ financials
@dataclass(frozen=True)
class FinanceProfile:
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


def _finance_profile(orgs: Organisations, rng: np.random.Generator) -> FinanceProfile:
    """Which providers struggle and which carry heavy PFI schemes."""
    kind = orgs.kind[orgs.providers]
    chance = np.select([kind == "foundation_trust", kind == "nhs_trust"], [0.06, 0.16], 0.10)
    struggling = rng.random(N_PROVIDERS) < chance
    pfi_share = np.zeros(N_PROVIDERS)
    general = np.flatnonzero(orgs.specialty[:N_ACUTE] < 0)
    chosen = rng.permutation(general)
    pfi_share[chosen[:20]] = rng.uniform(0.105, 0.16, size=20)
    pfi_share[chosen[20:55]] = rng.uniform(0.015, 0.09, size=35)
    struggling[chosen[:20]] |= rng.random(20) < 0.25  # heavy PFI and weak finances go together
    return FinanceProfile(struggling=struggling, pfi_share=pfi_share)


def _annual_finance(
    orgs: Organisations, bed_days: np.ndarray, profile: FinanceProfile, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Annual figures per provider and year FINANCE_FIRST_YEAR..LAST_YEAR [£ thousands].

    Returns
    -------
    dict of str to numpy.ndarray
        Each of FINANCIAL_COLUMNS (shape (providers, years), float, unrounded), plus
        ``depreciation`` and ``exceptional_quarter`` (1-4, the quarter in which the
        exceptional income is recognised).
    """
    n, n_years = N_PROVIDERS, LAST_YEAR - FINANCE_FIRST_YEAR + 1
    years = np.arange(n_years)[None, :]
    bd = bed_days[:, FINANCE_FIRST_YEAR - FIRST_YEAR :].astype(float)
    spec = orgs.specialty[orgs.providers]
    independent = np.arange(n) >= N_ACUTE
    foundation = orgs.kind[orgs.providers] == "foundation_trust"
    uplift = np.array([SPECIALTIES[s].income_uplift if s >= 0 else 1.0 for s in spec])[:, None]
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
    n = N_PROVIDERS
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


def financials_frame(
    orgs: Organisations, bed_days: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, FinanceProfile]:
    """``financials.csv``: annual rows 2010-11..2013-14 and quarterly year-to-date rows."""
    profile = _finance_profile(orgs, rng)
    annual = _annual_finance(orgs, bed_days, profile, rng)
    codes = orgs.code[orgs.providers]
    parts: list[pd.DataFrame] = []
    for y, year in enumerate(years_from(FINANCE_FIRST_YEAR)):
        periods = [(str(year), {k: v[:, y] for k, v in annual.items()})]
        if year in FINANCE_QUARTERLY_YEARS:
            periods += [(str(q), _quarter_to_date(annual, y, q.number, rng)) for q in year.quarters()]
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


def _random_date(rng: np.random.Generator, first: dt.date, last: dt.date) -> str:
    """A uniformly drawn ISO date between ``first`` and ``last`` inclusive."""
    return (first + dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))).isoformat()


def events_frame(orgs: Organisations, profile: FinanceProfile, rng: np.random.Generator) -> pd.DataFrame:
    """``events.csv``: a few dozen regulatory events 2010-2014 with values and evidence."""
    kind = orgs.kind[orgs.providers]
    foundation = np.flatnonzero(kind == "foundation_trust")
    trusts = np.arange(N_ACUTE)
    independents = np.arange(N_ACUTE, N_PROVIDERS)
    weight = np.where(profile.struggling, 6.0, 1.0)

    def pick(pool: np.ndarray, n: int, weighted: bool) -> np.ndarray:
        p = weight[pool] / weight[pool].sum() if weighted else None
        return rng.choice(pool, size=n, replace=False, p=p)

    start, end = FinancialYear(FINANCE_FIRST_YEAR).start, FinancialYear(LAST_YEAR).end
    last_year = FinancialYear(LAST_YEAR).start
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
        year = int(rng.integers(FINANCE_FIRST_YEAR, LAST_YEAR + 1))
        late = int(rng.integers(1, 22))
        add(
            org,
            (dt.date(year, 5, 31) + dt.timedelta(days=late)).isoformat(),
            "plan_late",
            value=late,
            evidence=f"Annual plan submitted {late} days after the deadline of 31 May {year}",
        )
    for org in pick(foundation, 3, False):
        year = int(rng.integers(FINANCE_FIRST_YEAR, LAST_YEAR + 1))
        add(
            org,
            dt.date(year, 6, int(rng.integers(5, 29))).isoformat(),
            "plan_incomplete",
            evidence="Annual plan returned as incomplete: financial templates missing the cash-flow forecast",
        )
    for org in pick(trusts, 2, True):
        year = int(rng.integers(FINANCE_FIRST_YEAR, LAST_YEAR + 1))
        add(
            org,
            Month(year, 9).end.isoformat(),
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
            _random_date(rng, last_year, end),
            "credit_rating",
            value=notch,
            evidence=f"External credit rating {ratings[notch - 9]} (value: notch on a scale 1 = AAA to 21 = D)",
        )
    share_orgs = np.concatenate([independents, pick(trusts, 2, False)])
    for org in share_orgs:
        high = org >= N_ACUTE
        share = round(float(rng.uniform(0.55, 0.95) if high else rng.uniform(0.2, 0.6)), 2)
        add(
            org,
            _random_date(rng, last_year, end),
            "block_contract_share",
            value=share,
            evidence="Share of NHS income under block contracts in 2013-14 contracts",
        )
    count_orgs = np.concatenate([independents, pick(trusts, 2, False)])
    for org in count_orgs:
        count = int(rng.integers(1, 4) if org >= N_ACUTE else rng.integers(6, 26))
        add(
            org,
            _random_date(rng, last_year, end),
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
            "estimated_cost": pd.array([cast("int | None", r["estimated_cost"]) for r in rows], dtype="Int64"),
            "exceptional": [r["exceptional"] for r in rows],
            "evidence": [r["evidence"] for r in rows],
        }
    )
    return df
