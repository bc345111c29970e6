"""The long tables from 2020-21: onset split by healthcare association, columns found by name.

The real 2020-21 E. coli table is counted independently with the ``csv`` module and
compared with what :func:`read_published` imports; synthetic files test a later year's
renamed, added and reordered columns, unknown metrics, totals, footnotes and refusals.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from nhs_oversight.inputs import InputError
from nhs_oversight.inputs.published import read_published

from ..conftest import SHARED

REAL = SHARED / "data" / "raw" / "ukhsa-ecoli-long-2020-21" / "Ecoli_2020-21.csv"
needs_real = pytest.mark.skipif(not REAL.exists(), reason="../shared/data/raw is absent")

HEADER = [
    "Collection", "Organisation type", "Organisation code", "Organisation name", "PHE Centre", "STP", "Year",
    "Month", "Metric", "Figure", "Data signed off", "Data changed since last publication?",
]  # fmt: skip
#: metric: (hospital-onset, community-onset) parts of a synthetic org-month
SPLIT = ("Hospital-onset, healthcare associated", "Community-onset, healthcare associated",
         "Community-onset, community associated", "No information", "Unknown 3 months")  # fmt: skip


def _org_rows(kind: str, code: str, name: str, year: str, month: str, parts: tuple[int, ...]) -> list[dict]:
    hoha, coha, coca, noinf, unk = parts
    hospital, community = hoha, coha + coca + noinf + unk
    figures = {"Total cases": hospital + community, "Hospital-onset": hospital, "Community-onset": community,
               **dict(zip(SPLIT, parts))}  # fmt: skip
    return [
        {"Collection": "MRSA", "Organisation type": kind, "Organisation code": code, "Organisation name": f" {name}",
         "PHE Centre": "London", "STP": "North London Partners", "Year": year, "Month": month, "Metric": metric,
         "Figure": str(value), "Data signed off": "Yes", "Data changed since last publication?": "No"}
        for metric, value in figures.items()
    ]  # fmt: skip


def _rows() -> list[dict]:
    return [
        *_org_rows("NHS acute trust", "RAL", "Royal Free", "2020", "4", (2, 1, 3, 0, 1)),
        *_org_rows("NHS acute trust", "RAL", "Royal Free", "2021", "3", (0, 0, 1, 1, 0)),
        *_org_rows("CCG", "93C", "North Central London", "2020", "4", (2, 1, 3, 0, 1)),
        *_org_rows("CCG", "93C", "North Central London", "2021", "3", (0, 0, 1, 1, 0)),
        *_org_rows("National", "ENG", "England", "2020", "4", (2, 1, 3, 0, 1)),
        *_org_rows("National", "ENG", "England", "2021", "3", (0, 0, 1, 1, 0)),
    ]


def _write(tmp_path: Path, name: str, header: list[str], rows: list[dict], extra: list[str] = ()) -> Path:
    lines = [";".join(header)] + [";".join(r.get(h, "") for h in header) for r in rows] + list(extra)
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode("utf-8-sig") + b"\r\n")
    return path


EXPECTED = {
    ("RAL", "2020-04", "trust"): 2,
    ("RAL", "2020-04", "non_trust"): 5,
    ("RAL", "2021-03", "trust"): 0,
    ("RAL", "2021-03", "non_trust"): 2,
    ("93C", "2020-04", "population"): 7,
    ("93C", "2021-03", "population"): 2,
}


def _infections(table) -> dict:  # noqa: ANN001
    return table.infections.set_index(["org_code", "month", "apportionment"])["cases"].to_dict()


# --------------------------------------------------------------------------- synthetic


def test_synthetic_2020_table(tmp_path: Path) -> None:
    blank = ";" * (len(HEADER) - 1)
    path = _write(tmp_path, "mrsa.csv", HEADER, _rows(), [blank, blank, "Source: UKHSA HCAI DCS" + blank[1:]])
    table = read_published(path)
    assert (table.layout, table.organism) == ("long-2020", "mrsa")
    assert table.organisations.to_dict("records") == [
        {"code": "RAL", "name": "Royal Free", "kind": "nhs_trust", "region": "London"},
        {"code": "93C", "name": "North Central London", "kind": "ccg", "region": "London"},
    ]
    assert _infections(table) == EXPECTED
    assert len(table.totals) == 2 * 8 * 2 and table.mismatches().empty


def test_a_later_year_with_renamed_added_and_reordered_columns(tmp_path: Path) -> None:
    renamed = {"PHE Centre": "Region name", "STP": "ICB name", "Figure": "Value"}
    header = ["Metric", "Value", "Data quality flag", "Month", "Year", "Organisation name", "ICB name",
              "Region name", "Organisation code", "Organisation type", "Collection"]  # fmt: skip
    rows = [{renamed.get(k, k): v for k, v in r.items()} | {"Data quality flag": "OK"} for r in _rows()]
    table = read_published(_write(tmp_path, "later.csv", header, rows))
    assert (table.layout, table.organism) == ("long-2020", "mrsa")
    assert _infections(table) == EXPECTED
    assert table.organisations["region"].tolist() == ["London", "London"]
    assert table.mismatches().empty


def test_sub_icb_locations_import_and_icbs_are_checked_not_doubled(tmp_path: Path) -> None:
    """From July 2022: sub-ICB locations (the CCGs' codes and populations) import as CCGs; an ICB
    row adds up its sub-ICB locations, so it is checked against them, never imported."""
    rows = [
        *_org_rows("NHS acute trust", "RAL", "Royal Free", "2023", "4", (2, 1, 3, 0, 1)),
        *_org_rows("Sub-ICB location", "93C", "North Central London", "2023", "4", (1, 1, 2, 0, 1)),
        *_org_rows("Sub-ICB location", "07M", "Barnet", "2023", "4", (1, 0, 1, 0, 0)),
        *_org_rows("ICB", "QMJ", "North Central London ICB", "2023", "4", (2, 1, 3, 0, 1)),
        *_org_rows("National", "ENG", "England", "2023", "4", (2, 1, 3, 0, 1)),
    ]
    table = read_published(_write(tmp_path, "2023.csv", HEADER, rows))
    assert table.organisations[["code", "kind"]].values.tolist() == [
        ["RAL", "nhs_trust"],
        ["93C", "ccg"],
        ["07M", "ccg"],
    ]
    got = _infections(table)
    assert got[("93C", "2023-04", "population")] == 5 and got[("07M", "2023-04", "population")] == 2
    assert "QMJ" not in {code for code, _, _ in got}
    icb_checks = table.totals[table.totals["check"].str.contains("sub-ICB")]
    assert len(icb_checks) == 8 and table.mismatches().empty
    # an ICB figure that is not the sum of its sub-ICB locations is reported
    rows[-8 - 8]["Figure"] = "99"  # the ICB's Total cases
    bad = read_published(_write(tmp_path, "bad.csv", HEADER, rows))
    assert any("sub-ICB" in str(check) for check in bad.mismatches()["check"])


def test_unknown_metric_is_refused_by_name(tmp_path: Path) -> None:
    rows = _rows()
    rows[3] = rows[3] | {"Metric": "Community-onset, origin unclear"}
    with pytest.raises(InputError) as err:
        read_published(_write(tmp_path, "new.csv", HEADER, rows))
    (p,) = err.value.items
    assert (p.file, p.row, p.column) == ("new.csv", 5, "Metric")
    assert "unknown metric 'Community-onset, origin unclear'" in p.message
    assert "Hospital-onset, healthcare associated" in p.message  # what was expected


def test_national_total_that_differs_is_reported(tmp_path: Path) -> None:
    rows = _rows()
    total = next(i for i, r in enumerate(rows) if r["Organisation type"] == "National" and r["Metric"] == "Total cases")
    rows[total] = rows[total] | {"Figure": "8"}  # the trust's and the CCG's are 7
    table = read_published(_write(tmp_path, "mrsa.csv", HEADER, rows))
    bad = table.mismatches()
    assert bad[["month", "published", "rows_sum"]].values.tolist() == [["2020-04", 8, 7], ["2020-04", 8, 7]]
    assert bad["check"].tolist() == [
        f"ENG Total cases (line {total + 2}) = sum of NHS acute trusts",
        f"ENG Total cases (line {total + 2}) = sum of CCGs",
    ]
    assert int(table.infections["cases"].sum()) == 18  # imported as published all the same


def test_parts_that_do_not_add_up_are_refused(tmp_path: Path) -> None:
    rows = _rows()
    coca = next(i for i, r in enumerate(rows) if r["Metric"] == "Community-onset, community associated")
    rows[coca] = rows[coca] | {"Figure": "4"}
    with pytest.raises(InputError) as err:
        read_published(_write(tmp_path, "mrsa.csv", HEADER, rows))
    (p,) = err.value.items
    assert (p.row, p.column) == (4, "Figure")  # the Community-onset row
    assert p.message.startswith("Community-onset 5 for RAL in 2020-04 is not Community-onset, healthcare associated 1")


def test_refusal_lists_layouts_and_names_the_missing_column(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Metric"]
    with pytest.raises(InputError) as err:
        read_published(_write(tmp_path, "X.csv", header, _rows()))
    (p,) = err.value.items
    assert str(p).startswith(
        "X.csv: not a supported published layout; supported: wide trust table, wide CCG table, long 2018-19, "
        "long 2020-21 onwards, hcaidcs extract, ICB rates; it resembles the long 2020-21 onwards layout "
        "(header on line 1) but has no column 'Metric'"
    )


def test_a_spreadsheet_is_refused_with_the_readers_to_use(tmp_path: Path) -> None:
    path = tmp_path / "Beds-Timeseries.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(InputError, match="not a supported published layout; supported: wide trust table"):
        read_published(path)


# --------------------------------------------------------------------------- the real 2020-21 table


def _count_real() -> dict:
    with REAL.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter=";") if (r["Metric"] or "").strip()]
    sums: dict[tuple[str, str], int] = defaultdict(int)
    national: dict[tuple[str, str], int] = {}
    orgs: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        kind, month = r["Organisation type"].lower(), f"{int(r['Year'])}-{int(r['Month']):02d}"
        if kind == "national":
            national[(month, r["Metric"])] = int(r["Figure"])
        else:
            orgs[kind].add(r["Organisation code"])
            sums[(kind, r["Metric"])] += int(r["Figure"])
    return {"rows": len(rows), "sums": sums, "national": national, "orgs": orgs}


@needs_real
def test_real_2020_table_imports_every_organisation_and_case() -> None:
    raw = _count_real()
    table = read_published(REAL)
    assert (table.layout, table.organism) == ("long-2020", "ecoli")
    kinds = table.organisations["kind"].value_counts().to_dict()
    assert (
        kinds
        == {"nhs_trust": len(raw["orgs"]["nhs acute trust"]), "ccg": len(raw["orgs"]["ccg"])}
        == {
            "nhs_trust": 140,
            "ccg": 136,
        }
    )
    by = table.infections.groupby("apportionment")["cases"].sum().to_dict()
    national = lambda metric: sum(v for (_, m), v in raw["national"].items() if m == metric)  # noqa: E731
    # every case, equal to the file's own England totals
    assert by["trust"] + by["non_trust"] == national("Total cases") == 39729
    assert by["population"] == national("Total cases")
    assert by["trust"] == national("Hospital-onset, healthcare associated") == national("Hospital-onset") == 7124
    community_parts = ("Community-onset, healthcare associated", "Community-onset, community associated",
                       "No information", "Unknown 3 months")  # fmt: skip
    assert by["non_trust"] == sum(national(m) for m in community_parts) == national("Community-onset") == 32605
    assert "reported" not in by
    assert sorted(table.infections["month"].unique())[0::12] == ["2020-03", "2021-03"]
    assert table.infections["month"].nunique() == 13
    assert len(table.totals) == 13 * 8 * 2 and table.mismatches().empty
    assert table._file is not None and table._file[2] == raw["rows"] == 28808


@needs_real
def test_real_2020_names_have_no_leading_space() -> None:
    names = read_published(REAL).organisations["name"]
    assert not names.str.startswith(" ").any() and "Barking and Dagenham" in set(names)
