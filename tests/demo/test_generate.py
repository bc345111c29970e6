"""Tests of the fictional demo data set: contract (DATA.md), determinism and realism targets."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import pathlib
import re
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhs_oversight.demo import names
from nhs_oversight.demo.generate import (
    DEFAULT_SEED,
    FIRST_YEAR,
    LAST_YEAR,
    NATIONAL_CASES,
    REGIONS,
    demo_frames,
    generate_demo,
)
from nhs_oversight.inputs.schemas import SCHEMAS
from nhs_oversight.periods import FinancialYear, Month, parse_period
from nhs_oversight.rulebooks import load_library
from nhs_oversight.rules.hcai import attribute_cases

# The columns and keys of DATA.md, in order (the contract the rest of the package reads;
# tests/inputs/test_schemas_doc.py checks the schemas against DATA.md).
COLUMNS: dict[str, list[str]] = {n: list(s.names) for n, s in SCHEMAS.items()}
KEYS: dict[str, list[str]] = {n: list(s.key) for n, s in SCHEMAS.items()}
ORG_COLUMNS: dict[str, tuple[str, ...]] = {n: s.org_columns for n, s in SCHEMAS.items()}
ACUTE = ("foundation_trust", "nhs_trust")
COMMISSIONERS = ("pct", "ccg")
PROVIDER = ACUTE + ("independent",)
EVENT_KINDS = {
    "cqc_major_concern",
    "cqc_moderate_concern",
    "significant_breach",
    "plan_late",
    "plan_incomplete",
    "pdc_unpaid",
    "pbc_breach",
    "credit_rating",
    "block_contract_share",
    "commissioner_count",
}
# Tolerances on national totals (trust- plus non-trust-apportioned) per financial year [fraction].
CDIFF_TOLERANCE = {2008: 0.05, 2009: 0.05, 2010: 0.05, 2011: 0.03, 2012: 0.04, 2013: 0.05}
MRSA_TOLERANCE = 0.10


def _read(folder: pathlib.Path, stem: str) -> pd.DataFrame:
    """Read a demo CSV keeping codes and labels as text."""
    text = {
        "code": str,
        "org_code": str,
        "month": str,
        "quarter": str,
        "period": str,
        "financial_year": str,
        "case_id": str,
        "reporting_org": str,
        "responsible_org": str,
    }
    return pd.read_csv(folder / f"{stem}.csv", dtype=text, keep_default_na=False, na_values=[""])


def _financial_year(month: pd.Series) -> pd.Series:
    """Start year of the financial year of ``YYYY-MM`` labels."""
    return month.str[:4].astype(int) - (month.str[5:].astype(int) <= 3).astype(int)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("demo") / "nested" / "data"  # not yet existing
    generate_demo(out)
    return out


@pytest.fixture(scope="module")
def data(folder: pathlib.Path) -> dict[str, pd.DataFrame]:
    return {stem: _read(folder, stem) for stem in COLUMNS}


@pytest.fixture(scope="module")
def orgs(data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return data["organisations"].set_index("code")


@pytest.fixture(scope="module")
def trust_counts(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> pd.DataFrame:
    """Trust-apportioned cases per acute trust, organism and financial year."""
    inf = data["infections"]
    inf = inf[(inf.apportionment == "trust") & inf.org_code.map(orgs.kind).isin(ACUTE)]
    return inf.groupby(["org_code", "organism", _financial_year(inf.month)]).cases.sum().unstack([1, 2])


def assert_cases_give_the_counts(cases: pd.DataFrame, infections: pd.DataFrame) -> None:
    """The counts ``cases.csv`` derives (RULES.md §0) are exactly the non-zero MRSA counts
    of ``infections.csv`` in 2013-14, for trusts and CCGs alike."""
    derived = attribute_cases(cases, load_library().get("hcai-counting-2008"))
    key = ["org_code", "organism", "month", "apportionment"]
    given = infections[(infections.organism == "mrsa") & (infections.month >= "2013-04") & (infections.cases > 0)]
    pd.testing.assert_frame_equal(
        derived.sort_values(key).reset_index(drop=True),
        given[[*key, "cases"]].sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )


# ------------------------------------------------------------------ files and determinism
def test_same_seed_gives_byte_identical_files(folder: pathlib.Path, tmp_path: pathlib.Path) -> None:
    again = generate_demo(tmp_path)
    assert sorted(again) == sorted(f"{stem}.csv" for stem in COLUMNS)
    for name in again:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_different_seed_gives_different_data(folder: pathlib.Path, tmp_path: pathlib.Path) -> None:
    generate_demo(tmp_path, seed=DEFAULT_SEED + 1)
    for name in ("organisations.csv", "infections.csv", "financials.csv"):
        assert (tmp_path / name).read_bytes() != (folder / name).read_bytes(), name


def test_returned_counts_are_data_rows(tmp_path: pathlib.Path) -> None:
    counts = generate_demo(tmp_path / "a" / "b")
    frames = demo_frames()
    for name, n in counts.items():
        lines = (tmp_path / "a" / "b" / name).read_bytes().split(b"\n")
        assert lines[-1] == b"" and len(lines) - 2 == n, name
        assert len(frames[name.removesuffix(".csv")]) == n


def test_files_are_plain_utf8_with_contract_columns(folder: pathlib.Path) -> None:
    for stem, columns in COLUMNS.items():
        raw = (folder / f"{stem}.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw, stem
        raw.decode("utf-8")
        assert raw.split(b"\n", 1)[0].decode() == ",".join(columns), stem


def test_no_float_noise_in_files(folder: pathlib.Path) -> None:
    for stem in ("denominators", "financials", "infections", "objectives"):
        text = (folder / f"{stem}.csv").read_text()
        assert re.search(r"\d\.\d", text) is None, f"{stem} has decimals"
    values = _read(folder, "events")["value"].dropna().astype(str)
    assert all(re.fullmatch(r"\d+(\.\d{1,2})?", v) for v in values), values.tolist()


def test_keys_are_unique_and_rows_sorted(data: dict[str, pd.DataFrame]) -> None:
    for stem, key in KEYS.items():
        df = data[stem]
        assert not df.duplicated(key).any(), stem
        assert df[key].astype(str).apply(tuple, axis=1).is_monotonic_increasing, stem


def test_every_referenced_code_exists(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> None:
    for stem, columns in ORG_COLUMNS.items():
        for column in columns:
            unknown = set(data[stem][column]) - set(orgs.index)
            assert not unknown, (stem, column, sorted(unknown)[:5])


def test_generation_is_fast() -> None:
    start = time.perf_counter()
    demo_frames(DEFAULT_SEED + 7)
    assert time.perf_counter() - start < 5.0


# ------------------------------------------------------------- rows up to 2012-13 unchanged
#: SHA-256 of the rows (as written, without the header) of each file that belong to a year
#: up to 2012-13, sorted and joined with "\n", for the default seed; with their number.
#: Computed from the generator as it was before CCGs and case-level records were added
#: (2013-14 had PCT rows then), with ``_rows_up_to_2012_13`` below on the files of
#: ``generate_demo(folder)``. Other tests and the README's figures rest on these rows: a
#: change to the generator must leave them as they are (draw new things from a new stream).
#: A row's year: organisations = every organisation except CCGs; infections = its month's
#: financial year; denominators, objectives = financial_year; indicators = quarter;
#: financials = period (a year or a quarter); events = the financial year of its date.
ROWS_UP_TO_2012_13: dict[str, tuple[int, str]] = {
    "organisations": (304, "2ee2f74f77cca487b4ac06676554d575e107cf0c38e49f20933ea4540204f782"),
    "infections": (54960, "2962a70946c291036a78da75844b990a1afa252e0204b5b1bb05881303a73dc9"),
    "denominators": (1520, "490017c5d4b6cbab93247cd34c76bb97cf0334fcc9596585aa2e8d3094803552"),
    "objectives": (150, "3e005bb04640c0e6d39dc17b5974a32b41ce14e823c926afe486a3b3144aeecd"),
    "indicators": (12600, "69567ace56eac0a7a33b5e8ff32f925eefeff75a2cfc4b7db0ef4586a7e7a26a"),
    "financials": (1078, "d516af2e41e5a0817cee19de9fe50b00a67b6aac5461662e07d54900d8bb74b3"),
    "events": (20, "07d6ab262ec0691edd8db5f4d4cf029cc12d23137a9b4454ff10de71eabb39ab"),
}


def _row_year(stem: str, row: dict[str, str]) -> FinancialYear | None:
    """The financial year a row belongs to (None: a CCG, which has none before 2013-14)."""
    if stem == "organisations":
        return None if row["kind"] == "ccg" else FinancialYear(2012)
    if stem == "infections":
        return Month.parse(row["month"]).financial_year
    if stem in ("denominators", "objectives"):
        return FinancialYear.parse(row["financial_year"])
    if stem in ("indicators", "financials"):
        return parse_period(row["quarter" if stem == "indicators" else "period"]).financial_year
    return FinancialYear.containing(dt.date.fromisoformat(row["date"]))


def _rows_up_to_2012_13(path: pathlib.Path, stem: str) -> tuple[int, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    kept = []
    for line in lines[1:]:
        year = _row_year(stem, dict(zip(header, next(csv.reader([line])))))
        if year is not None and year <= FinancialYear(2012):
            kept.append(line)
    return len(kept), hashlib.sha256("\n".join(sorted(kept)).encode()).hexdigest()


def test_rows_up_to_2012_13_are_unchanged(folder: pathlib.Path) -> None:
    for stem, expected in ROWS_UP_TO_2012_13.items():
        assert _rows_up_to_2012_13(folder / f"{stem}.csv", stem) == expected, stem


def test_providers_2013_14_counts_come_from_the_first_stream(data: dict[str, pd.DataFrame]) -> None:
    """The trusts' 2013-14 counts were drawn with the earlier years: national totals as before."""
    inf = data["infections"]
    year = inf[(inf.month >= "2013-04") & inf.apportionment.isin(["trust", "non_trust"])]
    assert year[year.organism == "cdiff"].cases.sum() == 14_650
    assert year[year.organism == "mrsa"].cases.sum() == 890


# --------------------------------------------------------------------------- organisations
def test_organisation_mix_codes_and_regions(orgs: pd.DataFrame) -> None:
    kinds = orgs.kind.value_counts()
    assert 75 <= kinds["foundation_trust"] <= 95
    assert 55 <= kinds["nhs_trust"] <= 75
    assert 140 <= kinds["pct"] <= 160
    assert 200 <= kinds["ccg"] <= 220
    assert kinds["independent"] == 4
    assert set(kinds.index) == {"foundation_trust", "nhs_trust", "pct", "ccg", "independent"}
    pattern = {
        "foundation_trust": r"R[0-9A-Z]{2}",
        "nhs_trust": r"R[0-9A-Z]{2}",
        "pct": r"5[0-9A-Z]{2}",
        "ccg": r"[0-9]{2}[A-DF-HJ-NP-Z]",  # as 00C, 99X: never E (a number to some readers), I or O
        "independent": r"N[0-9A-Z]{2}",
    }
    for code, kind in orgs.kind.items():
        assert re.fullmatch(pattern[kind], code), code
    assert set(orgs.region) == set(REGIONS)
    assert orgs.name.is_unique


def test_names_are_invented_and_match_kind(orgs: pd.DataFrame) -> None:
    for _, row in orgs.iterrows():
        words = set(re.findall(r"[A-Z][a-z']+", row["name"]))
        assert not words & names.REAL_PLACE_BLOCKLIST, row["name"]
        ending = {
            "foundation_trust": "NHS Foundation Trust",
            "nhs_trust": " NHS Trust",
            "pct": "Primary Care Trust",
            "ccg": "Clinical Commissioning Group",
        }.get(row["kind"])
        if ending:
            assert row["name"].endswith(ending), row["name"]
        if row["kind"] == "ccg":
            assert row["name"].startswith("NHS "), row["name"]
    assert names.candidate_places() == names.candidate_places()
    assert not set(names.candidate_places()) & names.REAL_PLACE_BLOCKLIST


# ---------------------------------------------------------------------------- denominators
def test_denominators(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> None:
    den = data["denominators"]
    kind = den.org_code.map(orgs.kind)
    years = [f"{y}-{(y + 1) % 100:02d}" for y in range(FIRST_YEAR, LAST_YEAR + 1)]
    n_providers, n_pcts, n_ccgs = orgs.kind.isin(PROVIDER).sum(), (orgs.kind == "pct").sum(), (orgs.kind == "ccg").sum()
    assert len(den) == n_providers * len(years) + n_pcts * (len(years) - 1) + n_ccgs
    assert set(den.financial_year) == set(years)
    # PCTs until 2012-13, CCGs from 2013-14
    assert set(den.financial_year[kind == "pct"]) == set(years[:-1])
    assert set(den.financial_year[kind == "ccg"]) == {"2013-14"}
    providers, pcts = den[kind.isin(PROVIDER)], den[kind.isin(COMMISSIONERS)]
    assert providers.bed_days.notna().all() and providers.population.isna().all()
    assert pcts.population.notna().all() and pcts.bed_days.isna().all()
    acute = den[kind.isin(ACUTE)]
    assert acute.bed_days.quantile(0.05) >= 40_000 and acute.bed_days.max() <= 850_000
    bed_days = acute.groupby("financial_year").bed_days.sum()
    assert bed_days.between(33e6, 39e6).all(), bed_days
    population = pcts.groupby("financial_year").population.sum()
    assert population.between(51.5e6, 54.5e6).all() and population.is_monotonic_increasing, population
    growth = population.iloc[-1] / population.iloc[0] - 1
    assert 0.02 < growth < 0.05
    assert den.population[kind == "pct"].between(80_000, 1_450_000).all()
    assert den.population[kind == "ccg"].between(40_000, 1_450_000).all()
    assert 0.004 < population["2013-14"] / population["2012-13"] - 1 < 0.01  # CCGs split the PCT areas
    small = den[kind == "independent"].bed_days
    assert small.between(5_000, 60_000).all()


# ------------------------------------------------------------------------------ infections
def test_infection_grid_is_complete_and_non_negative(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> None:
    inf = data["infections"]
    assert inf.cases.dtype.kind == "i" and (inf.cases >= 0).all()
    months = sorted(set(inf.month))
    assert len(months) == 72 and months[0] == f"{FIRST_YEAR}-04" and months[-1] == f"{LAST_YEAR + 1}-03"
    kind = inf.org_code.map(orgs.kind)
    providers = inf[kind.isin(PROVIDER)]
    pcts, ccgs = inf[kind == "pct"], inf[kind == "ccg"]
    assert set(providers.apportionment) == {"trust", "non_trust"}
    assert set(pcts.apportionment) == set(ccgs.apportionment) == {"population"}
    assert pcts.month.max() == "2013-03" and ccgs.month.min() == "2013-04"
    n_providers = orgs.kind.isin(PROVIDER).sum()
    n_pcts = (orgs.kind == "pct").sum()
    n_ccgs = (orgs.kind == "ccg").sum()
    assert len(providers) == n_providers * 2 * 72 * 2
    assert len(pcts) == n_pcts * 2 * 60
    assert len(ccgs) == n_ccgs * 2 * 12
    assert (inf.cases == 0).sum() > 1_000  # zero months are explicit rows


def test_national_totals_match_the_published_figures(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> None:
    inf = data["infections"]
    providers = inf[inf.apportionment.isin(["trust", "non_trust"])]
    totals = providers.groupby(["organism", _financial_year(providers.month)]).cases.sum()
    for y in range(FIRST_YEAR, LAST_YEAR + 1):
        target = NATIONAL_CASES["cdiff"][y - FIRST_YEAR]
        assert abs(totals["cdiff", y] / target - 1) <= CDIFF_TOLERANCE[y], (y, totals["cdiff", y])
        target = NATIONAL_CASES["mrsa"][y - FIRST_YEAR]
        assert abs(totals["mrsa", y] / target - 1) <= MRSA_TOLERANCE, (y, totals["mrsa", y])
    assert 19_754 * 0.97 <= totals["cdiff", 2011] <= 19_754 * 1.03
    assert 16_100 * 0.96 <= totals["cdiff", 2012] <= 16_100 * 1.04
    assert totals["mrsa", 2012] < 1_000
    assert totals["cdiff"].is_monotonic_decreasing


def test_trust_apportioned_share(data: dict[str, pd.DataFrame]) -> None:
    inf = data["infections"]
    providers = inf[inf.apportionment.isin(["trust", "non_trust"])]
    by = providers.groupby(["organism", _financial_year(providers.month), "apportionment"]).cases.sum().unstack()
    share = by["trust"] / (by["trust"] + by["non_trust"])
    assert share["cdiff"].between(0.43, 0.57).all(), share["cdiff"]
    assert share["mrsa"].between(0.28, 0.47).all(), share["mrsa"]


def test_pct_and_ccg_population_counts_add_up_to_national_totals(data: dict[str, pd.DataFrame]) -> None:
    inf = data["infections"]
    national = inf[inf.apportionment.isin(["trust", "non_trust"])].groupby(["organism", "month"]).cases.sum()
    pct = inf[inf.apportionment == "population"].groupby(["organism", "month"]).cases.sum()
    pd.testing.assert_series_equal(national, pct)


def test_cdiff_has_a_winter_peak(data: dict[str, pd.DataFrame]) -> None:
    inf = data["infections"]
    cdiff = inf[(inf.organism == "cdiff") & (inf.apportionment != "population")]
    monthly = cdiff.groupby("month").cases.sum()
    fy = _financial_year(pd.Series(monthly.index, index=monthly.index))
    share = monthly / monthly.groupby(fy).transform("sum")
    calendar = monthly.index.str[5:]
    assert share[calendar.isin(["12", "01", "02"])].mean() > share[calendar.isin(["06", "07", "08"])].mean()


def test_small_trusts_exist(trust_counts: pd.DataFrame) -> None:
    assert (trust_counts["mrsa", 2012] < 4).sum() >= 15
    assert (trust_counts["cdiff", 2012] < 12).sum() >= 15
    assert (trust_counts["cdiff", 2012] >= 100).sum() >= 10  # and large ones too


# --------------------------------------------------------------------------- CCGs and cases
def test_ccgs_split_the_pct_areas() -> None:
    from nhs_oversight.demo.organisations import N_CCG, N_PCT, build_ccgs, build_organisations

    rng = np.random.default_rng(1)
    orgs = build_organisations(rng)
    ccgs = build_ccgs(orgs, rng.uniform(90_000, 1_250_000, N_PCT), rng)
    assert len(ccgs.code) == N_CCG and set(ccgs.pct) == set(range(N_PCT))
    shares = pd.Series(ccgs.share).groupby(ccgs.pct).sum()
    np.testing.assert_allclose(shares.to_numpy(), 1.0)
    assert (pd.Series(ccgs.region).groupby(ccgs.pct).nunique() == 1).all()
    assert (ccgs.region == orgs.region[orgs.pcts][ccgs.pct]).all()


def test_cases_give_exactly_the_2013_14_mrsa_counts(data: dict[str, pd.DataFrame]) -> None:
    assert_cases_give_the_counts(data["cases"], data["infections"])


def test_case_records(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> None:
    cases = data["cases"]
    assert cases.case_id.is_unique and (cases.organism == "mrsa").all()
    assert cases.specimen_date.min() >= "2013-04-01" and cases.specimen_date.max() <= "2014-03-31"
    assert set(cases.reporting_org.map(orgs.kind)) <= set(PROVIDER)
    assert set(cases.responsible_org.map(orgs.kind)) == {"ccg"}
    specimen = pd.to_datetime(cases.specimen_date)
    admission = pd.to_datetime(cases.admission_date)
    assert (admission.dropna() <= specimen[admission.notna()]).all()
    assert 0.2 <= admission.isna().mean() <= 0.4  # community-onset cases of patients never admitted
    assignment = cases.assigned_to.fillna("awaiting")
    share = assignment.value_counts(normalize=True)
    assert set(share.index) == {"trust", "ccg", "third_party", "awaiting"}
    assert share["ccg"] > share["trust"] > share["third_party"] > 0.03
    awaiting_march = (assignment == "awaiting")[cases.specimen_date >= "2014-03-01"].mean()
    awaiting_before = (assignment == "awaiting")[cases.specimen_date < "2014-01-01"].mean()
    assert awaiting_march > 0.25 and awaiting_before < 0.05  # reviews of recent cases are awaited
    # hospital-onset cases go mostly to the trust, community-onset ones mostly to the CCG
    onset_day = (specimen - admission).dt.days + 1
    hospital = onset_day >= 3
    assert (assignment[hospital] == "trust").mean() > 0.6
    assert (assignment[~hospital] == "ccg").mean() > 0.6
    region = orgs.region
    same = cases.reporting_org.map(region) == cases.responsible_org.map(region)
    assert same.mean() > 0.6  # patients are mostly treated in their own region


# ------------------------------------------------------------------------------ objectives
def test_objectives_are_an_18_percent_cut_of_2011_12(
    data: dict[str, pd.DataFrame], orgs: pd.DataFrame, trust_counts: pd.DataFrame
) -> None:
    obj = data["objectives"].set_index("org_code")
    assert set(obj.index) == set(orgs.index[orgs.kind.isin(ACUTE)])
    assert (obj.organism == "cdiff").all() and (obj.financial_year == "2012-13").all()
    baseline = trust_counts["cdiff", 2011].reindex(obj.index)
    expected = (baseline * 82 + 50) // 100  # round half up, in integers
    assert (obj.objective_cases == expected).all()
    assert (obj.objective_cases >= 0).all()
    assert 2 <= (obj.objective_cases == 0).sum() <= 7
    assert 12 <= (obj.objective_cases < 10).sum() <= 30
    reduction = 1 - obj.objective_cases.sum() / baseline.sum()
    assert 0.17 <= reduction <= 0.19


def test_trajectories_are_cumulative(data: dict[str, pd.DataFrame]) -> None:
    obj = data["objectives"]
    q = obj[["q1", "q2", "q3", "q4"]]
    present = q.notna().all(axis=1)
    assert (present | q.isna().all(axis=1)).all()  # all four or none
    assert 40 <= present.sum() <= 60
    t = q[present].astype(int).to_numpy()
    assert (np.diff(t, axis=1) >= 0).all() and (t >= 0).all()
    assert (t[:, 3] == obj.objective_cases[present].to_numpy()).all()


# ------------------------------------------------------------------------------ indicators
def test_indicators(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> None:
    ind = data["indicators"]
    trusts = orgs.index[orgs.kind.isin(ACUTE)]
    quarters = sorted(set(ind.quarter))
    assert quarters[0] == "2010-11-Q1" and quarters[-1] == "2013-14-Q4" and len(quarters) == 16
    assert set(ind.org_code) == set(trusts)
    assert len(ind) == len(trusts) * 16 * 7
    assert set(ind.met.astype(str).str.lower()) == {"true", "false"}
    failed = ind.met.astype(str).str.lower() == "false"
    assert 0.01 <= failed.mean() <= 0.10
    runs = (
        ind.assign(failed=failed.astype(int))
        .sort_values("quarter")
        .groupby(["org_code", "indicator"])
        .failed.apply(lambda s: s.rolling(3).sum().max())
    )
    assert (runs == 3).sum() >= 3  # some trusts fail a target three quarters running


# ------------------------------------------------------------------------------ financials
def test_financial_rows_and_identities(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> None:
    fin = data["financials"]
    providers = orgs.index[orgs.kind.isin(PROVIDER)]
    periods = ["2010-11", "2011-12", "2012-13", "2013-14"] + [
        f"{y}-Q{q}" for y in ("2012-13", "2013-14") for q in range(1, 5)
    ]
    assert set(fin.period) == set(periods) and set(fin.org_code) == set(providers)
    assert len(fin) == len(providers) * len(periods)
    assert (fin.operating_expenses == fin.operating_income - fin.ebitda).all()
    never_negative = [c for c in COLUMNS["financials"][2:] if c not in ("ebitda", "net_surplus")]
    assert (fin[never_negative] >= 0).all().all()
    assert (fin.current_assets >= fin.cash).all()
    assert (fin.exceptional_income <= fin.operating_income).all()


def test_financial_realism(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> None:
    fin = data["financials"]
    year = fin[(fin.period == "2012-13") & fin.org_code.map(orgs.kind).isin(ACUTE)]
    income = year.operating_income
    assert income.quantile(0.05) >= 60_000 and income.max() <= 1_000_000
    margin = year.ebitda / income
    assert 0.03 <= margin.median() <= 0.09
    assert (margin.between(0.03, 0.09)).mean() >= 0.5
    assert (margin < 0).sum() >= 3
    assert 15 <= (year.pfi_unitary_payments > 0.1 * income).sum() <= 25
    assert (year.interest_payable == 0).sum() >= 10
    assert (year.interest_payable / income).median() < 0.01  # mostly small
    assert (year.interest_payable < 0.05 * income).mean() >= 0.8
    assert (fin.exceptional_income > 0).sum() >= 5


def test_year_to_date_rows_build_up_to_the_year(data: dict[str, pd.DataFrame]) -> None:
    fin = data["financials"].set_index(["org_code", "period"])
    for y in ("2012-13", "2013-14"):
        q4 = fin.xs(f"{y}-Q4", level="period")
        pd.testing.assert_frame_equal(q4, fin.xs(y, level="period"))
        incomes = [fin.xs(f"{y}-Q{q}", level="period").operating_income for q in range(1, 5)]
        for earlier, later in zip(incomes, incomes[1:]):
            assert (later > earlier).all()
        q2 = incomes[1] / incomes[3]
        assert q2.between(0.4, 0.6).all()


# -------------------------------------------------------------------------------- events
def test_events(data: dict[str, pd.DataFrame], orgs: pd.DataFrame) -> None:
    ev = data["events"]
    assert 20 <= len(ev) <= 80
    assert ev.event_id.str.fullmatch(r"E\d{4}").all()
    assert set(ev.kind) <= EVENT_KINDS and len(set(ev.kind)) == len(EVENT_KINDS)
    dates = pd.to_datetime(ev.date, format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2010-01-01") and dates.max() <= pd.Timestamp("2014-12-31")
    cqc = ev.kind.str.startswith("cqc_")
    assert ev.estimated_cost[cqc].notna().all() and (ev.estimated_cost[cqc] > 0).all()
    assert ev.estimated_cost[~cqc].isna().all()
    share = ev.value[ev.kind == "block_contract_share"].astype(float)
    assert share.between(0.0, 1.0).all()
    count = ev.value[ev.kind == "commissioner_count"].astype(float)
    assert (count == count.round()).all() and (count >= 1).all()
    assert set(ev.exceptional.dropna().astype(str).str.lower()) <= {"true", "false"}
    assert ev.exceptional[cqc].notna().all()
    assert set(ev.org_code[ev.kind.isin(["plan_late", "plan_incomplete", "significant_breach"])].map(orgs.kind)) == {
        "foundation_trust"
    }


# --------------------------------------------------------------------- any seed (property)
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_invariants_hold_for_any_seed(seed: int) -> None:
    f = demo_frames(seed)
    for stem, key in KEYS.items():
        assert list(f[stem].columns) == COLUMNS[stem]
        assert not f[stem].duplicated(key).any(), stem
    codes = set(f["organisations"].code)
    for stem, columns in ORG_COLUMNS.items():
        for column in columns:
            assert set(f[stem][column]) <= codes, (stem, column)
    assert_cases_give_the_counts(f["cases"], f["infections"])
    inf = f["infections"]
    assert (inf.cases >= 0).all()
    national = inf[inf.apportionment != "population"].groupby(["organism", "month"]).cases.sum()
    pct = inf[inf.apportionment == "population"].groupby(["organism", "month"]).cases.sum()
    assert national.equals(pct)
    obj = f["objectives"]
    with_q = obj.dropna(subset=["q1"])
    t = with_q[["q1", "q2", "q3", "q4"]].astype(int).to_numpy()
    assert (np.diff(t, axis=1) >= 0).all() and (t[:, 3] == with_q.objective_cases.to_numpy()).all()
    fin = f["financials"]
    assert (fin.operating_expenses == fin.operating_income - fin.ebitda).all()
