"""Healthcare-associated infections: attribution of cases, counts and rates (RULES.md §0).

Pure functions: they read rulebooks and frames, never files, databases or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..explain import Trace
from ..periods import FinancialYear, Month
from ..rulebooks import Rulebook, RuleValue

__all__ = [
    "COUNTED_APPORTIONMENT",
    "DENOMINATOR",
    "trust_apportioned_day",
    "attribute_cases",
    "rate",
    "AnnualRate",
    "annual_rate",
    "annual_rates",
    "period_rates",
    "period_rates_from_totals",
    "REVIEW_COLUMNS",
    "review_assignments",
]

#: Which apportionment an organisation kind is held to: trusts their trust-apportioned
#: (hospital-onset) cases, PCTs and CCGs all their residents' cases.
COUNTED_APPORTIONMENT = {
    "foundation_trust": "trust",
    "nhs_trust": "trust",
    "independent": "trust",
    "pct": "population",
    "ccg": "population",
}
#: Which denominator an organisation kind's rate uses, and the rulebook value of its unit.
DENOMINATOR = {
    "foundation_trust": ("bed_days", "trust_rate_per_bed_days"),
    "nhs_trust": ("bed_days", "trust_rate_per_bed_days"),
    "independent": ("bed_days", "trust_rate_per_bed_days"),
    "pct": ("population", "population_rate_per_residents"),
    "ccg": ("population", "population_rate_per_residents"),
}


def trust_apportioned_day(organism: str, rulebook: Rulebook) -> RuleValue:
    """The day of admission from which a specimen makes a case trust-apportioned.

    Parameters
    ----------
    organism : {'mrsa', 'cdiff'}
    rulebook : Rulebook
        A ``hcai-counting`` rulebook.

    Returns
    -------
    RuleValue
        ``<organism>_trust_apportioned_from_day`` [day of admission, admission day = 1].
    """
    return rulebook[f"{organism}_trust_apportioned_from_day"]


def attribute_cases(cases: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """Turn case-level reports into the monthly counts of ``infections.csv``.

    A case is trust-apportioned to its reporting trust when the specimen was taken on or
    after day N of the admission, day 1 being the day of admission (MRSA N = 3, "post 48
    hours"; C. difficile N = 4, "post 72 hours"); otherwise, or when the patient was not
    an in-patient (no admission date), it is non-trust-apportioned. Every case also counts
    for the patient's PCT or CCG (``population``), including those diagnosed within two
    days of admission.

    Parameters
    ----------
    cases : pandas.DataFrame
        Columns ``organism``, ``specimen_date``, ``admission_date`` (None when not an
        in-patient), ``reporting_org``, ``responsible_org``.
    rulebook : Rulebook
        A ``hcai-counting`` rulebook.

    Returns
    -------
    pandas.DataFrame
        ``org_code, organism, month, apportionment, cases``: one row per combination with
        at least one case.

    References
    ----------
    RULES.md §0; seed 001 (PCTs accountable for all residents' cases).
    """
    columns = ["org_code", "organism", "month", "apportionment", "cases"]
    if cases.empty:
        return pd.DataFrame(columns=columns)
    specimen = pd.to_datetime(cases["specimen_date"])
    admission = pd.to_datetime(cases["admission_date"])
    day_of_admission = (specimen - admission).dt.days + 1
    threshold = cases["organism"].map(
        {org: trust_apportioned_day(org, rulebook).value for org in cases["organism"].unique()}
    )
    trust = admission.notna() & (day_of_admission >= threshold)
    month = specimen.dt.strftime("%Y-%m")
    by_trust = pd.DataFrame(
        {
            "org_code": cases["reporting_org"],
            "organism": cases["organism"],
            "month": month,
            "apportionment": np.where(trust, "trust", "non_trust"),
        }
    )
    frames = [by_trust]
    if rulebook.value("population_counts_every_resident_case"):
        frames.append(
            pd.DataFrame(
                {
                    "org_code": cases["responsible_org"],
                    "organism": cases["organism"],
                    "month": month,
                    "apportionment": "population",
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True)
    counts = rows.groupby(columns[:-1], sort=True).size().rename("cases").reset_index()
    counts["cases"] = counts["cases"].astype("int64")
    return counts


def rate(cases: float, denominator: float, per: float) -> float:
    """A rate: ``cases / denominator × per``.

    Parameters
    ----------
    cases : float
        [cases]
    denominator : float
        [bed-days or residents]; must be positive.
    per : float
        The unit, e.g. 100,000.

    Returns
    -------
    float
        [cases per ``per`` bed-days or residents]
    """
    if denominator <= 0:
        raise ValueError("a rate needs a positive denominator")
    return cases / denominator * per


@dataclass(frozen=True)
class AnnualRate:
    """An organisation's count and rate for one organism and financial year."""

    org_code: str
    organism: str
    financial_year: str
    apportionment: str
    cases: int
    months_reported: int
    denominator_name: str
    denominator: float | None
    rate: float | None
    per: float


def annual_rate(
    org_code: str,
    kind: str,
    organism: str,
    year: FinancialYear,
    monthly: pd.DataFrame,
    denominators: pd.DataFrame,
    rulebook: Rulebook,
    trace: Trace | None = None,
) -> AnnualRate:
    """Count an organisation's cases in a financial year and compute its rate.

    Parameters
    ----------
    org_code, kind : str
        The organisation and its kind (decides the apportionment and denominator).
    organism : {'mrsa', 'cdiff'}
    year : FinancialYear
    monthly : pandas.DataFrame
        This organisation's ``infections`` rows (``organism, month, apportionment, cases``).
    denominators : pandas.DataFrame
        This organisation's ``denominators`` rows (``financial_year, bed_days, population``).
    rulebook : Rulebook
        A ``hcai-counting`` rulebook.
    trace : Trace, optional
        Filled with the steps when given.

    Returns
    -------
    AnnualRate
        ``rate`` is None when the denominator is missing or zero.
    """
    trace = trace if trace is not None else Trace.start(org_code, str(year), "counts", rulebook)
    apportionment = COUNTED_APPORTIONMENT[kind]
    months = [str(m) for m in year.months()]
    rows = monthly[
        (monthly["organism"] == organism)
        & (monthly["apportionment"] == apportionment)
        & (monthly["month"].isin(months))
    ].sort_values("month")
    by_month = dict(zip(rows["month"], rows["cases"].astype(int)))
    cases = int(sum(by_month.values()))
    held_to = "trust-apportioned (hospital-onset)" if apportionment == "trust" else "all residents'"
    uses = (
        [rulebook["population_counts_every_resident_case"]]
        if apportionment == "population"
        else [trust_apportioned_day(organism, rulebook)]
    )
    trace.add(
        "hcai.count",
        f"{organism.upper() if organism == 'mrsa' else 'C. difficile'}: a {kind.replace('_', ' ')} is held to its "
        f"{held_to} cases; {len(by_month)} of 12 months reported in {year}, {cases} cases in all",
        inputs={m: by_month.get(m, "not reported") for m in months},
        value=cases,
        source="infections (apportionment = " + apportionment + ")",
        uses=uses,
    )
    denom_name, per_name = DENOMINATOR[kind]
    per_value = rulebook[per_name]
    drow = denominators[denominators["financial_year"] == str(year)]
    denominator = None
    if len(drow) and pd.notna(drow.iloc[0][denom_name]):
        denominator = float(drow.iloc[0][denom_name])
    value = None
    if denominator and denominator > 0:
        value = rate(cases, denominator, float(per_value.value))
        trace.add(
            "hcai.rate",
            f"rate = {cases} cases ÷ {denominator:,.0f} {denom_name.replace('_', '-')} × {per_value.value:,} "
            f"= {value:.2f} per {per_value.value:,} {per_value.unit}",
            inputs={"cases": cases, denom_name: denominator},
            value=round(value, 4),
            source=f"denominators ({denom_name}, {year})",
            uses=[per_value],
        )
    else:
        trace.add(
            "hcai.rate",
            f"no rate: {denom_name.replace('_', '-')} for {year} is missing or zero",
            inputs={denom_name: denominator},
            source=f"denominators ({denom_name}, {year})",
        )
    return AnnualRate(
        org_code=org_code,
        organism=organism,
        financial_year=str(year),
        apportionment=apportionment,
        cases=cases,
        months_reported=len(by_month),
        denominator_name=denom_name,
        denominator=denominator,
        rate=value,
        per=float(per_value.value),
    )


def period_rates(
    organisations: pd.DataFrame,
    infections: pd.DataFrame,
    denominators: pd.DataFrame,
    months: list[Month],
    rulebook: Rulebook,
    organisms: tuple[str, ...] = ("cdiff", "mrsa"),
) -> pd.DataFrame:
    """Every organisation's counts and rates over a run of months (a year, a baseline).

    Each organisation is held to the apportionment of its kind and its rate uses the
    denominator of its kind. A period that spans two financial years (the 2011-12
    C. difficile baseline began in September 2009) weights each year's denominator by
    its share of the months.

    Parameters
    ----------
    organisations : pandas.DataFrame
        ``code, name, kind``.
    infections : pandas.DataFrame
        ``org_code, organism, month, apportionment, cases``; months not reported count 0.
    denominators : pandas.DataFrame
        ``org_code, financial_year, bed_days, population`` [bed-days or residents a year].
    months : list of Month
        The period, usually 12 months.
    rulebook : Rulebook
        A ``hcai-counting`` rulebook (the units of rates).
    organisms : tuple of str

    Returns
    -------
    pandas.DataFrame
        ``org_code, name, kind, organism, apportionment, cases, months_reported,
        denominator_name, denominator, rate, per``: ``denominator`` is annual
        [bed-days or residents], ``rate`` = cases ÷ denominator × per × 12 ÷ months
        [cases per ``per`` a year]; NaN without a positive denominator.
    """
    names = [str(m) for m in months]
    inf = infections[infections["month"].isin(names) & infections["organism"].isin(organisms)]
    counted = inf.groupby(["org_code", "organism", "apportionment"], as_index=False).agg(
        cases=("cases", "sum"), months_reported=("month", "nunique")
    )
    return period_rates_from_totals(organisations, counted, denominators, months, rulebook, organisms)


def period_rates_from_totals(
    organisations: pd.DataFrame,
    totals: pd.DataFrame,
    denominators: pd.DataFrame,
    months: list[Month],
    rulebook: Rulebook,
    organisms: tuple[str, ...] = ("cdiff", "mrsa"),
) -> pd.DataFrame:
    """:func:`period_rates` from the period's totals (summed in the database).

    Parameters
    ----------
    totals : pandas.DataFrame
        ``org_code, organism, apportionment, cases, months_reported``: the cases of the
        period's months and how many months were reported, by organisation, organism and
        apportionment (:func:`nhs_oversight.store.read.infection_totals`).

    See :func:`period_rates` for the others and the result.
    """
    orgs = organisations[["code", "name", "kind"]].rename(columns={"code": "org_code"})
    orgs = orgs.assign(apportionment=orgs["kind"].map(COUNTED_APPORTIONMENT))
    grid = orgs.merge(pd.DataFrame({"organism": list(organisms)}), how="cross")
    counted = totals[["org_code", "organism", "apportionment", "cases", "months_reported"]]
    out = grid.merge(counted, on=["org_code", "organism", "apportionment"], how="left")
    out["cases"] = out["cases"].fillna(0).astype("int64")
    out["months_reported"] = out["months_reported"].fillna(0).astype("int64")
    denominator_of = {k: v[0] for k, v in DENOMINATOR.items()}
    per_of = {k: float(rulebook.value(v[1])) for k, v in DENOMINATOR.items()}
    out["denominator_name"] = out["kind"].map(denominator_of)
    out["per"] = out["kind"].map(per_of).astype("float64")
    weights = pd.Series([str(m.financial_year) for m in months]).value_counts() / len(months)
    den = denominators[denominators["financial_year"].isin(weights.index)].melt(
        id_vars=["org_code", "financial_year"],
        value_vars=["bed_days", "population"],
        var_name="denominator_name",
        value_name="denominator",
    )
    den["denominator"] = den["denominator"].astype("float64") * den["financial_year"].map(weights).astype("float64")
    # every year of the period must be present, and every year's figure: a missing one leaves no denominator
    grouped = den.groupby(["org_code", "denominator_name"])
    den = pd.DataFrame(
        {
            "denominator": grouped["denominator"].sum(),
            "given": grouped["denominator"].count(),
            "rows": grouped.size(),
            "years": grouped["financial_year"].nunique(),
        }
    )
    den.loc[(den["given"] < den["rows"]) | (den["years"] < len(weights)), "denominator"] = np.nan
    out = out.merge(den[["denominator"]].reset_index(), on=["org_code", "denominator_name"], how="left")
    out["denominator"] = out["denominator"].astype("float64")
    positive = out["denominator"] > 0
    annualise = 12 / len(months)
    out["rate"] = np.where(
        positive, out["cases"] / out["denominator"].where(positive, 1.0) * out["per"] * annualise, np.nan
    )
    cols = [
        "org_code",
        "name",
        "kind",
        "organism",
        "apportionment",
        "cases",
        "months_reported",
        "denominator_name",
        "denominator",
        "rate",
        "per",
    ]
    return out[cols].sort_values(["organism", "org_code"], ignore_index=True)


def annual_rates(
    organisations: pd.DataFrame,
    infections: pd.DataFrame,
    denominators: pd.DataFrame,
    year: FinancialYear,
    rulebook: Rulebook,
) -> pd.DataFrame:
    """Every organisation's counts and rates for one financial year, both organisms.

    The vectorised twin of :func:`annual_rate` (which explains one organisation); see
    :func:`period_rates` for the parameters. Adds a ``financial_year`` column.
    """
    out = period_rates(organisations, infections, denominators, year.months(), rulebook)
    out.insert(4, "financial_year", str(year))
    return out


#: The post-infection review assignments (zero tolerance, from 2013-14), and the column of each.
REVIEW_COLUMNS = {"trust": "assigned_trust", "ccg": "assigned_ccg", "third_party": "assigned_third_party"}


def review_assignments(cases: pd.DataFrame, organisations: pd.DataFrame) -> pd.DataFrame:
    """MRSA cases by post-infection review assignment, for each trust and each CCG/PCT.

    Under zero tolerance every MRSA bloodstream infection has a post-infection review that
    assigns it to the trust, the CCG or a third party (RULES.md §1.6; NHS England 2013).

    Parameters
    ----------
    cases : pandas.DataFrame
        ``case_id, reporting_org, responsible_org, assigned_to`` (empty = not yet reviewed).
    organisations : pandas.DataFrame
        ``code, kind``.

    Returns
    -------
    pandas.DataFrame
        ``org_code, kind, role, cases, assigned_trust, assigned_ccg, assigned_third_party,
        awaiting_review``: one row per reporting trust (role ``reporting``) and per
        responsible PCT/CCG (role ``responsible``).
    """
    assigned = cases["assigned_to"].fillna("awaiting")
    frames = []
    for role, col in (("reporting", "reporting_org"), ("responsible", "responsible_org")):
        table = pd.crosstab(cases[col], assigned).rename(columns={**REVIEW_COLUMNS, "awaiting": "awaiting_review"})
        for name in (*REVIEW_COLUMNS.values(), "awaiting_review"):
            if name not in table:
                table[name] = 0
        table["cases"] = table[[*REVIEW_COLUMNS.values(), "awaiting_review"]].sum(axis=1)
        table = table.reset_index(names="org_code").assign(role=role)
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    kinds = dict(zip(organisations["code"], organisations["kind"]))
    out["kind"] = out["org_code"].map(kinds)
    cols = ["org_code", "kind", "role", "cases", *REVIEW_COLUMNS.values(), "awaiting_review"]
    return out[cols].sort_values(["role", "org_code"], ignore_index=True)
