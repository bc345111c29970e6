"""hcaidcs extracts, ICB rates and the national series of the UKHSA annual data tables.

Real files from ../shared/data/raw are counted independently (``csv``, pandas) and compared
with what the readers return; synthetic files test columns found by name and refusals.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from nhs_oversight.inputs import InputError
from nhs_oversight.inputs.published import read_national_series, read_published, read_published_rates

from ..conftest import SHARED

RAW = SHARED / "data" / "raw"
HCAIDCS = RAW / "hcaidcs-package-data"
ANNUAL = RAW / "ukhsa-hcai-annual-tables-2024"
ICB_RATES = ANNUAL / "Trust_Rates_final_ICB_rates_by_organism.csv"
ODS = ANNUAL / "Temporal_Rates_UKHSA_annual_data_tables_Sep2024.ods"
needs_hcaidcs = pytest.mark.skipif(not HCAIDCS.exists(), reason="../shared/data/raw is absent")
needs_rates = pytest.mark.skipif(not ICB_RATES.exists(), reason="../shared/data/raw is absent")
needs_ods = [
    pytest.mark.skipif(not ODS.exists(), reason="../shared/data/raw is absent"),
    pytest.mark.skipif(importlib.util.find_spec("odf") is None, reason="odfpy is not installed"),
]


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- hcaidcs


@needs_hcaidcs
def test_real_hcaidcs_mrsa_counts_by_ccg_import_whole() -> None:
    with (HCAIDCS / "monthly_ccg_data_raw.csv").open(encoding="utf-8", newline="") as f:
        raw = list(csv.DictReader(f))
    expected = {(r["ccg_code"], f"{r['year_no']}-{int(r['month_no']):02d}"): int(r["total_cases"]) for r in raw}
    table = read_published(HCAIDCS / "monthly_ccg_data_raw.csv")
    assert (table.layout, table.organism) == ("hcaidcs-ccg", "mrsa")
    assert set(table.infections["apportionment"]) == {"population"}
    got = table.infections.set_index(["org_code", "month"])["cases"].to_dict()
    assert got == expected and len(got) == 714 and sum(got.values()) == 901
    assert len(table.organisations) == 193 and set(table.organisations["kind"]) == {"ccg"}
    assert table.totals.empty and table.mismatches().empty
    assert table.to_dataset().tables["infections"]["cases"].sum() == 901


@needs_hcaidcs
def test_real_hcaidcs_trust_counts() -> None:
    table = read_published(HCAIDCS / "cdi_prior_hc_data.csv")
    assert (table.layout, table.organism) == ("hcaidcs-trust", "cdiff")
    assert table.organisations.to_dict("records") == [
        {"code": "R0A", "name": "R0A", "kind": "nhs_trust", "region": None}
    ]
    raw = pd.read_csv(HCAIDCS / "cdi_prior_hc_data.csv")
    by = table.infections.groupby("apportionment")["cases"].sum().to_dict()
    assert by == {"trust": raw["apportioned"].sum(), "non_trust": (raw["total_cases"] - raw["apportioned"]).sum()}
    assert by["trust"] + by["non_trust"] == raw["total_cases"].sum() == 235
    oct17 = table.infections[table.infections["month"] == "2017-10"].set_index("apportionment")["cases"].to_dict()
    assert oct17 == {"trust": 7, "non_trust": 8}  # apportioned 7 of 15 (HOHA 8 is not the year's measure)


@needs_hcaidcs
@pytest.mark.parametrize(("name", "reason"), [("mf_trend_data.csv", "national monthly counts for England"),
                                              ("age_trends_data.csv", "by age group and sex")])  # fmt: skip
def test_hcaidcs_files_without_organisation_counts_are_refused(name: str, reason: str) -> None:
    with pytest.raises(InputError) as err:
        read_published(HCAIDCS / name)
    (p,) = err.value.items
    assert p.file == name and reason in p.message and "no organisation rows" in p.message


HCAIDCS_LINES = [
    "month_no,ccg_code,total_cases,data_collection,year_no,fyear6,nhs_trust_pir,ccg_pir,third_party_pir",
    "3,00C,2,MRSA,2017,201617,1,1,0",
    "4,00c,1,MRSA,2017,201718,0,0,1",
]


def test_hcaidcs_columns_are_found_by_name(tmp_path: Path) -> None:
    table = read_published(_write(tmp_path, "x.csv", HCAIDCS_LINES))
    assert table.infections[["org_code", "month", "apportionment", "cases"]].values.tolist() == [
        ["00C", "2017-03", "population", 2],
        ["00C", "2017-04", "population", 1],
    ]


def test_hcaidcs_checks_its_own_columns(tmp_path: Path) -> None:
    bad = [*HCAIDCS_LINES[:2], "4,00D,3,MRSA,2017,201617,1,1,0"]
    with pytest.raises(InputError) as err:
        read_published(_write(tmp_path, "x.csv", bad))
    assert sorted((p.row, p.column) for p in err.value.items) == [(3, "fyear6"), (3, "total_cases")]
    unknown = [HCAIDCS_LINES[0] + ",mystery_cases", *(line + ",4" for line in HCAIDCS_LINES[1:])]
    with pytest.raises(InputError) as err:
        read_published(_write(tmp_path, "y.csv", unknown))
    (p,) = err.value.items
    assert (p.row, p.column) == (1, "mystery_cases") and "might be counts" in p.message


# --------------------------------------------------------------------------- ICB rates


@needs_rates
def test_real_icb_rates() -> None:
    rates = read_published_rates(ICB_RATES)
    raw = pd.read_csv(ICB_RATES, dtype=str, encoding="cp1252")
    published = raw.iloc[:, 4:].stack()
    assert len(rates) == int((published != "[x]").sum()) == 2898
    assert {"org_code", "name", "kind", "organism", "financial_year", "rate", "rate_per", "cases",
            "denominator"} <= set(rates.columns)  # fmt: skip
    assert set(rates["organism"]) == {"ecoli", "klebsiella", "pseudomonas", "mrsa", "mssa", "cdiff"}
    assert set(rates["kind"]) == {"icb"} and set(rates["rate_per"]) == {"population"}
    assert rates["org_code"].nunique() == 42 and rates["cases"].isna().all() and rates["denominator"].isna().all()
    mrsa = rates[rates["organism"] == "mrsa"]
    assert mrsa["financial_year"].min() == "2009-10" and mrsa["financial_year"].max() == "2023-24"
    one = rates.set_index(["org_code", "organism", "financial_year"])
    assert one.loc[("QYG", "ecoli", "2012-13"), "rate"] == pytest.approx(71.9)
    assert ("QYG", "ecoli", "2011-12") not in one.index  # [x]: not available
    assert one.loc[("QYG", "ecoli", "2012-13"), "name"] == "NHS Cheshire and Merseyside Integrated Care Board"


def test_rates_columns_by_name_and_bad_cells(tmp_path: Path) -> None:
    lines = ["Integrated care board (ICB),2023 to 2024,Species,ICB code,2022 to 2023",
             "NHS Somewhere ICB,1.5,MRSA,QAA,[x]", "NHS Elsewhere ICB,2.25,C. difficile,QBB,20"]  # fmt: skip
    rates = read_published_rates(_write(tmp_path, "r.csv", lines))
    assert rates[["org_code", "organism", "financial_year", "rate"]].values.tolist() == [
        ["QBB", "cdiff", "2022-23", 20.0],
        ["QBB", "cdiff", "2023-24", 2.25],
        ["QAA", "mrsa", "2023-24", 1.5],
    ]
    with pytest.raises(InputError) as err:
        read_published_rates(_write(tmp_path, "s.csv", [*lines, "NHS Third ICB,lots,MRSA,QCC,1"]))
    (p,) = err.value.items
    assert (p.file, p.row, p.column) == ("s.csv", 4, "2023 to 2024") and "'lots' is not a number" in p.message


@needs_rates
def test_read_published_points_the_rates_table_to_its_reader() -> None:
    with pytest.raises(InputError, match="read it with read_published_rates"):
        read_published(ICB_RATES)


# --------------------------------------------------------------------------- national series


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    return read_national_series(ODS)


@needs_ods[0]
@needs_ods[1]
def test_real_national_series_s1(series: pd.DataFrame) -> None:
    s1 = series[series["sheet"] == "Table_S1"].set_index(["organism", "financial_year", "measure"])
    row = s1.loc[("ecoli", "2012-13", "all_reported")]
    assert (row["cases"], row["apportionment"], row["rate_per"]) == (32309, "reported", "population")
    assert row["rate"] == pytest.approx(60.418484, abs=1e-6) and row["denominator"] == pytest.approx(53475357.2)
    assert s1.loc[("ecoli", "2012-13", "hospital_onset"), "rate_per"] == "bed_days"
    assert s1.loc[("cdiff", "2023-24", "all_reported"), "cases"] == 16867
    ho = s1.loc[("cdiff", "2023-24", "hospital_onset"), "cases"]
    co = s1.loc[("cdiff", "2023-24", "community_onset"), "cases"]
    assert ho + co == 16867
    assert {"mrsa", "mssa", "klebsiella_oxytoca", "pseudomonas"} <= set(s1.index.get_level_values("organism"))


@needs_ods[0]
@needs_ods[1]
def test_real_national_series_s8(series: pd.DataFrame) -> None:
    s8 = series[series["sheet"] == "Table_S8"].set_index(["organism", "financial_year", "measure"])
    assert s8.loc[("cdiff", "2023-24", "hoha"), "cases"] == 7538
    assert s8.loc[("cdiff", "2023-24", "coha"), "rate_per"] == "bed_days_and_day_admissions"
    assert s8["apportionment"].isna().all()
    assert set(s8.index.get_level_values("measure")) == {"hoha", "coha", "coca", "coia", "coun", "comi"}
    assert "klebsiella_oxytoca" in set(s8.index.get_level_values("organism"))  # "Klebsiella o[x]ytoca"
    assert "klebsiella_not_speciated" in set(s8.index.get_level_values("organism"))


@needs_ods[0]
@needs_ods[1]
def test_icb_rates_of_the_ods_match_the_csv_extract() -> None:
    if not ICB_RATES.exists():
        pytest.skip("../shared/data/raw is absent")
    from_csv, from_ods = read_published_rates(ICB_RATES), read_published_rates(ODS)
    key = ["org_code", "organism", "financial_year"]
    assert from_csv[key].equals(from_ods[key])
    assert (from_csv["rate"] - from_ods["rate"]).abs().max() <= 0.05  # the extract is rounded to 0.1


def test_a_missing_spreadsheet_engine_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_odf(*args: object, **kwargs: object) -> None:
        raise ImportError("Missing optional dependency 'odfpy'")

    monkeypatch.setattr(pd, "read_excel", no_odf)
    path = tmp_path / "tables.ods"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=r"needs the package 'odfpy>=1.4,<2': pip install"):
        read_national_series(path)


def test_a_spreadsheet_without_a_series_is_refused(tmp_path: Path) -> None:
    lines = ["Financial year,Organism,Region,Reports", "2023 to 2024,MRSA,London,3"]
    with pytest.raises(InputError, match="has no national series"):
        read_national_series(_write(tmp_path, "s.csv", lines))
