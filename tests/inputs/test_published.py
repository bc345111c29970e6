"""Published surveillance tables import as they are: every organisation, every case.

The real E. coli tables in ../shared/data/raw are counted independently here with the
``csv`` module (organisation rows, the sum of every count cell, the Totals / National
rows) and compared with what :func:`read_published` returns. Small synthetic files test
footnote marks, a Totals mismatch, bad cells, the organism and the round trip through
:func:`read_data_folder`.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from nhs_oversight.inputs import InputError, read_data_folder
from nhs_oversight.inputs.published import (
    PublishedTable,
    clean_name,
    infer_organism,
    parse_count,
    read_published,
    write_data_folder,
)
from nhs_oversight.rulebooks import load_library

from ..conftest import SHARED

ECOLI = SHARED / "data" / "raw" / "ukhsa-ecoli-monthly-trust-ccg"
REAL_FILES = [
    "E_coli_April_2013-14.csv",
    "E.coli_2014-15.csv",
    "E.coli_2015-16.csv",
    "E.coli_2016-17.csv",
    "Ecol_2017-18.csv",
    "E.coli_CCG_2013-14.csv",
    "E.coli_CCG_2014-15.csv",
    "E.coli_CCG_2015-16.csv",
    "E.coli_CCG_2016-17.csv",
    "E.coli_CCG_2017-18.csv",
    "Ecoli_2018-19.csv",
    "Ecoli_2019-20.csv",
]
#: layout, organisations, cases, months — as read on the files (the independent counts
#: below are the real check; these pin the numbers the report quotes).
EXPECTED = {
    "E_coli_April_2013-14.csv": ("wide-trust", 160, 34275, 12),
    "E.coli_2014-15.csv": ("wide-trust", 155, 35676, 12),
    "E.coli_2015-16.csv": ("wide-trust", 154, 38244, 12),
    "E.coli_2016-17.csv": ("wide-trust", 153, 43673, 13),
    "Ecol_2017-18.csv": ("wide-trust", 151, 41060, 12),
    "E.coli_CCG_2013-14.csv": ("wide-ccg", 212, 34275, 12),
    "E.coli_CCG_2014-15.csv": ("wide-ccg", 212, 38553, 13),
    "E.coli_CCG_2015-16.csv": ("wide-ccg", 210, 38244, 12),
    "E.coli_CCG_2016-17.csv": ("wide-ccg", 210, 43673, 13),
    "E.coli_CCG_2017-18.csv": ("wide-ccg", 208, 41060, 12),
    "Ecoli_2018-19.csv": ("long", 344, 93094, 13),
    "Ecoli_2019-20.csv": ("long", 339, 93754, 13),
}
needs_shared = pytest.mark.skipif(not ECOLI.exists(), reason="../shared/data/raw is absent")
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]  # fmt: skip


# --------------------------------------------------------------------------- independent counts


def _raw_wide(path: Path) -> dict:
    """Count a wide table with the csv module: rows with a name under the header."""
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    h = next(i for i, r in enumerate(rows) if r and r[0] in ("Trust Code", "CCG Code"))
    header = [c.strip() for c in rows[h]]
    name_col = header.index("Trust Name" if header[0] == "Trust Code" else "CCG Name")
    months = {}
    for j, c in enumerate(header):
        m = re.fullmatch(r"([A-Z][a-z]+) (\d{4})", c)
        if m:
            months[j] = f"{m.group(2)}-{_MONTHS.index(m.group(1).lower()) + 1:02d}"
    orgs, cases, totals = 0, 0, []
    sums = dict.fromkeys(months.values(), 0)
    for r in rows[h + 1 :]:
        name = r[name_col].strip() if len(r) > name_col else ""
        if not name:  # blank rows; footnotes sit in the first column
            continue
        cells = {months[j]: r[j].strip() for j in months}
        if name in ("Totals", "Total"):
            totals.append({m: int(c.replace(" ", "")) for m, c in cells.items()})
            continue
        orgs += 1
        for m, c in cells.items():
            if c.isdigit():
                cases += int(c)
                sums[m] += int(c)
    return {"orgs": orgs, "cases": cases, "months": sorted(sums), "sums": sums, "totals": totals}


def _raw_long(path: Path) -> dict:
    """Count a long table: trusts' onset figures and CCGs' totals; National rows."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter=";") if any((v or "").strip() for v in r.values())]
    orgs, cases, months = set(), 0, set()
    national: dict[tuple[str, str], int] = {}
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in rows:
        kind, metric, figure = r["Organisation type"].lower(), r["Metric"], int(r["Figure"])
        month = f"{int(r['Year'])}-{int(r['Month']):02d}"
        months.add(month)
        if kind == "national":
            national[(month, metric)] = figure
            continue
        orgs.add(r["Organisation code"])
        sums[(kind, month, metric)] += figure
        if (kind == "ccg" and metric == "Total cases") or (kind != "ccg" and metric != "Total cases"):
            cases += figure
    return {"orgs": len(orgs), "cases": cases, "months": sorted(months), "national": national, "sums": sums}


@needs_shared
@pytest.mark.parametrize("name", REAL_FILES)
def test_real_file_imports_every_organisation_and_case(name: str) -> None:
    path = ECOLI / name
    table = read_published(path)
    layout, n_orgs, n_cases, n_months = EXPECTED[name]
    raw = _raw_long(path) if layout == "long" else _raw_wide(path)
    assert table.layout == layout
    assert table.organism == "ecoli"
    assert len(table.organisations) == raw["orgs"] == n_orgs
    assert table.organisations["code"].is_unique
    assert int(table.infections["cases"].sum()) == raw["cases"] == n_cases
    assert sorted(table.infections["month"].unique()) == raw["months"]
    assert len(raw["months"]) == n_months
    assert (table.infections["cases"] >= 0).all()
    assert set(table.infections["org_code"]) <= set(table.organisations["code"])
    assert not table.infections.duplicated(["org_code", "organism", "month", "apportionment"]).any()
    if layout == "long":
        _check_long_totals(table, raw)
    else:
        _check_wide_totals(table, raw)


def _check_wide_totals(table: PublishedTable, raw: dict) -> None:
    # one set of totals when the top and bottom Totals rows agree, as they do in every file
    assert len(raw["totals"]) == 2 and raw["totals"][0] == raw["totals"][1]
    totals = table.totals.set_index("month")
    assert list(totals.index) == raw["months"]
    assert totals["published"].to_dict() == raw["totals"][0]
    assert totals["rows_sum"].to_dict() == raw["sums"]
    genuinely_off = {m for m in raw["months"] if raw["totals"][0][m] != raw["sums"][m]}
    assert set(table.mismatches()["month"]) == genuinely_off == set()


def _check_long_totals(table: PublishedTable, raw: dict) -> None:
    def key(check: str) -> tuple[str, str]:
        metric = re.search(r"(Total cases|Hospital-onset|Community-onset)", check).group(1)
        return metric, "ccg" if check.endswith("CCGs") else "nhs acute trust"

    totals = table.totals
    assert len(totals) == len(raw["national"]) * 2  # each National figure vs trusts and vs CCGs
    for _, t in totals.iterrows():
        metric, kind = key(t["check"])
        assert t["published"] == raw["national"][(t["month"], metric)]
        assert t["rows_sum"] == raw["sums"][(kind, t["month"], metric)]
    genuinely_off = {
        (month, metric, kind)
        for (month, metric), figure in raw["national"].items()
        for kind in ("ccg", "nhs acute trust")
        if raw["sums"][(kind, month, metric)] != figure
    }
    reported = {(m, *key(c)) for m, c in zip(table.mismatches()["month"], table.mismatches()["check"])}
    assert reported == genuinely_off == set()


@needs_shared
def test_real_wide_details() -> None:
    trust = read_published(ECOLI / "E.coli_2014-15.csv")
    names = trust.organisations.set_index("code")["name"]
    assert names["RDU"] == "Frimley Health"
    assert names["RL4"] == "The Royal Wolverhampton"
    assert names["RAL"] == "Royal Free London"
    kinds = trust.organisations.set_index("code")["kind"]
    assert kinds["RDU"] == "foundation_trust" and kinds["RL4"] == "nhs_trust"
    assert trust.organisations.set_index("code").loc["REM", "region"] == "Cheshire and Merseyside"
    assert set(trust.infections["apportionment"]) == {"reported"}
    # Wirral's row is '-' in every month: an organisation with no figures, not twelve zeros
    assert "RBL" in set(trust.organisations["code"]) and "RBL" not in set(trust.infections["org_code"])
    older = read_published(ECOLI / "E_coli_April_2013-14.csv")
    assert older.organisations.set_index("code").loc["RN7", "name"] == "Dartford & Gravesham"  # 'V' footnote
    thirteen = read_published(ECOLI / "E.coli_2016-17.csv")
    assert thirteen.title == "Monthly counts of E.coli bacteraemia by Acute Trust - Trust Cases"
    assert thirteen.totals["month"].iloc[0] == "2016-03" and thirteen.totals["published"].iloc[0] == 3231
    ccg = read_published(ECOLI / "E.coli_CCG_2015-16.csv")
    c = ccg.organisations.set_index("code")
    assert c.loc["12F", "name"] == "Wirral" and c.loc["13Q", "name"] == "Specialist Commissioning Hubs"
    assert set(ccg.organisations["kind"]) == {"ccg"} and set(ccg.infections["apportionment"]) == {"population"}
    assert read_published(ECOLI / "E.coli_CCG_2014-15.csv").organisations["code"].str.fullmatch("[0-9A-Z]+").all()


@needs_shared
def test_real_long_details() -> None:
    table = read_published(ECOLI / "Ecoli_2018-19.csv")
    assert table.title is None
    inf = table.infections
    rxr = inf[(inf["org_code"] == "RXR") & (inf["month"] == "2018-06")].set_index("apportionment")["cases"]
    assert rxr["trust"] == 2  # the file's line 'RXR … 2018;6;Hospital-onset;2'
    assert set(inf[inf["org_code"] == "00C"]["apportionment"]) == {"population"}
    assert {"2018-03", "2019-03"} <= set(inf["month"])
    orgs = table.organisations.set_index("code")
    assert orgs.loc["00C", "name"] == "Darlington" and orgs.loc["RYR", "kind"] == "nhs_trust"
    assert "ENG" not in orgs.index
    later = read_published(ECOLI / "Ecoli_2019-20.csv")
    assert later.organisations.set_index("code").loc["13Q", "name"] == "Specialist Commissioning Hubs"


@needs_shared
@pytest.mark.parametrize("name", REAL_FILES)
def test_real_file_round_trips_through_the_data_folder(tmp_path: Path, name: str) -> None:
    table = read_published(ECOLI / name)
    written = write_data_folder(table, tmp_path / "out")
    data = read_data_folder(tmp_path / "out", load_library())
    assert set(written) == {"organisations", "infections"}
    assert len(data["organisations"]) == len(table.organisations)
    assert int(data["infections"]["cases"].sum()) == int(table.infections["cases"].sum())


# --------------------------------------------------------------------------- synthetic files

TRUST_HEADER = "Trust Code;Trust Type;PHE Centre;Trust Name;April 2017;May 2017;June 2017;Trust Name;;;"


def _write(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


def _trust_file(tmp_path: Path, rows: list[str], title: str = "Monthly counts of MRSA bacteraemia by Acute Trust",
                totals: str = ";;;Totals;6;4;3;Totals", name: str = "trust.csv") -> Path:  # fmt: skip
    lines = [f"Title:;{title};;;;;;", ";;;;;;;", "Reporting Period:;April 2017 to June 2017;;;;;", ";;;;;;;",
             TRUST_HEADER, totals, ";;;;;;;", *rows, ";;;;;;;", totals, ";;;;;;;"]  # fmt: skip
    return _write(tmp_path, name, lines)


GOOD_ROWS = [
    "RDU;FT;South East;Frimley Health3;1;2;0;Frimley Health3;;;",
    "RL4;--;West Midlands;The Royal Wolverhampton¥;3;-;1;The Royal Wolverhampton¥;;;",
    "rn7 ;--;London;Dartford & GraveshamV;2;2;2;Dartford & Gravesham;;;",
]


def test_synthetic_trust_table(tmp_path: Path) -> None:
    table = read_published(_trust_file(tmp_path, GOOD_ROWS, totals=";;;Totals;6;4;3;Totals"))
    assert table.layout == "wide-trust" and table.organism == "mrsa"
    assert table.title == "Monthly counts of MRSA bacteraemia by Acute Trust"
    orgs = table.organisations.set_index("code")
    assert list(orgs.index) == ["RDU", "RL4", "RN7"]
    assert list(orgs["name"]) == ["Frimley Health", "The Royal Wolverhampton", "Dartford & Gravesham"]
    assert list(orgs["kind"]) == ["foundation_trust", "nhs_trust", "nhs_trust"]
    assert list(orgs["region"]) == ["South East", "West Midlands", "London"]
    inf = table.infections
    assert list(inf.columns) == ["org_code", "organism", "month", "apportionment", "cases"]
    assert len(inf) == 8  # RL4 May 2017 is '-': no row
    assert inf["cases"].sum() == 13
    assert set(inf["apportionment"]) == {"reported"} and set(inf["organism"]) == {"mrsa"}
    assert list(table.totals.columns[:4]) == ["month", "published", "rows_sum", "matches"]
    assert table.totals["matches"].all() and table.mismatches().empty
    assert table.totals["check"].iloc[0] == "Totals row (lines 6, 12)"


def test_totals_mismatch_is_reported(tmp_path: Path) -> None:
    table = read_published(_trust_file(tmp_path, GOOD_ROWS, totals=";;;Totals;7;4;3;Totals"))
    bad = table.mismatches()
    assert len(bad) == 1
    row = bad.iloc[0]
    assert (row["month"], row["published"], row["rows_sum"], bool(row["matches"])) == ("2017-04", 7, 6, False)
    assert int(table.infections["cases"].sum()) == 13  # imported as published all the same


def test_two_totals_rows_that_disagree_are_both_checked(tmp_path: Path) -> None:
    lines = ["Title:;Monthly counts of MRSA bacteraemia by Acute Trust", TRUST_HEADER, ";;;Totals;6;4;3;Totals",
             *GOOD_ROWS, ";;;Total;6;5;3;Total"]  # fmt: skip
    table = read_published(_write(tmp_path, "t.csv", lines))
    assert len(table.totals) == 6
    bad = table.mismatches()
    assert list(bad["month"]) == ["2017-05"] and bad["check"].iloc[0] == "Totals row (line 7)"


def test_bad_count_cells_name_line_and_column(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "RXX;--;London;Small Hospital;1O;2;-1;Small Hospital;;;"]
    with pytest.raises(InputError) as err:
        read_published(_trust_file(tmp_path, rows))
    problems = sorted(err.value.items, key=lambda p: p.column or "")
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("trust.csv", 11, "April 2017"),
        ("trust.csv", 11, "June 2017"),
    ]
    assert "'1O' is not a count" in problems[0].message
    assert "negative" in problems[1].message
    assert "trust.csv, row 11, column April 2017" in str(err.value)


@pytest.mark.parametrize(
    ("cell", "value"),
    [("12", 12), (" 3 231 ", 3231), ("3,231", 3231), ("4.0", 4), ("", None), ("-", None), ("*", None),
     ("..", None), ("[x]", None)],
)  # fmt: skip
def test_parse_count(cell: str, value: int | None) -> None:
    assert parse_count(cell) == value


@pytest.mark.parametrize("cell", ["1O", "2.5", "-3", "x1", "twelve"])
def test_parse_count_refuses(cell: str) -> None:
    with pytest.raises(ValueError):
        parse_count(cell)


@pytest.mark.parametrize(
    ("name", "repeated", "marks", "clean"),
    [
        ("Frimley Health3", "", (), "Frimley Health"),
        ("London North West Healthcare2", "", (), "London North West Healthcare"),
        ("The Royal Wolverhampton¥", "", (), "The Royal Wolverhampton"),
        ("Wirral*", "", (), "Wirral"),
        ("St Elsewhere†", "", (), "St Elsewhere"),
        ("Kent Hospitals #", "", (), "Kent Hospitals"),
        ("Manchester1*", "", (), "Manchester"),
        ("Dartford & GraveshamV", "Dartford & Gravesham", (), "Dartford & Gravesham"),
        ("King's College HospitalV", "King's College HospitalV", ("V",), "King's College Hospital"),
        ("zSpecialist Commissioning Hubs", "", (), "Specialist Commissioning Hubs"),
        ("  Barts   Health ", " Barts Health", (), "Barts Health"),
        # real words and numbers stay
        ("Hospital 2", "", (), "Hospital 2"),
        ("Birmingham Women's and Children's", "", (), "Birmingham Women's and Children's"),
        ("West London (K&C & Qpp)", "", (), "West London (K&C & Qpp)"),
        ("Bolton", "Bolto", (), "Bolton"),
        ("NHS", "NH", (), "NHS"),
        ("St. George's", "", ("V",), "St. George's"),
    ],
)
def test_clean_name(name: str, repeated: str, marks: tuple[str, ...], clean: str) -> None:
    assert clean_name(name, repeated, marks) == clean


def test_footnote_letter_declared_by_the_notes(tmp_path: Path) -> None:
    rows = ["RJZ;FT;London;King's College HospitalV;1;1;1;King's College HospitalV;;;"]
    notes = ["VOn 1st October 2013 South London Healthcare NHS Trust was dissolved;;;;;;;"]
    lines = ["Title:;Monthly counts of MRSA bacteraemia by Acute Trust", TRUST_HEADER, *rows, ";;;", *notes]
    table = read_published(_write(tmp_path, "t.csv", lines))
    assert table.organisations["name"].tolist() == ["King's College Hospital"]
    assert table.totals.empty and list(table.totals.columns[:4]) == ["month", "published", "rows_sum", "matches"]


def test_trust_apportioned_title(tmp_path: Path) -> None:
    path = _trust_file(tmp_path, GOOD_ROWS, title="Monthly counts of C. difficile by Acute Trust - Trust apportioned")
    table = read_published(path)
    assert table.organism == "cdiff" and set(table.infections["apportionment"]) == {"trust"}
    onset = _trust_file(tmp_path, GOOD_ROWS, title="Hospital-onset E. coli by Acute Trust", name="o.csv")
    assert set(read_published(onset).infections["apportionment"]) == {"trust"}


def test_ccg_table_thirteen_months_and_hub_without_code(tmp_path: Path) -> None:
    header = "CCG Code;PHE Centre;CCG Name;" + ";".join(
        ["March 2016", *[f"{m.capitalize()} 2016" for m in _MONTHS[3:]], "January 2017", "February 2017",
         "March 2017"]) + ";CCG Name"  # fmt: skip
    ones = ";".join(["1"] * 13)
    lines = ["Title:;Monthly counts of MRSA bacteraemia by CCG", header, f";;Totals;{';'.join(['3'] * 13)};Totals",
             f"00c;North East;Darlington;{ones};Darlington", ";;;;", f"12F;North West;Wirral*;{ones};Wirral",
             f";Specialist Commissioning;Specialist Commissioning Hubs;{ones};Specialist Commissioning Hubs",
             "* Monthly counts for Wirral CCG may be under-estimates as the main acute provider …"]  # fmt: skip
    table = read_published(_write(tmp_path, "ccg.csv", lines))
    assert table.layout == "wide-ccg"
    assert table.organisations["code"].tolist() == ["00C", "12F", "13Q"]
    assert table.organisations["name"].tolist() == ["Darlington", "Wirral", "Specialist Commissioning Hubs"]
    assert set(table.organisations["kind"]) == {"ccg"}
    months = sorted(table.infections["month"].unique())
    assert len(months) == 13 and months[0] == "2016-03" and months[-1] == "2017-03"
    assert set(table.infections["apportionment"]) == {"population"}
    assert table.totals["matches"].all() and len(table.totals) == 13


def test_row_with_figures_and_no_code_is_refused(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, ";--;London;Mystery Hospital;1;1;1;Mystery Hospital"]
    with pytest.raises(InputError) as err:
        read_published(_trust_file(tmp_path, rows))
    (p,) = err.value.items
    assert (p.row, p.column) == (11, "Trust Code") and "no organisation code" in p.message


def test_duplicate_code_is_refused(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "RDU;FT;South East;Frimley again;1;1;1;Frimley again"]
    with pytest.raises(InputError) as err:
        read_published(_trust_file(tmp_path, rows))
    assert "given twice (also on line 8)" in str(err.value)


# --------------------------------------------------------------------------- organism


@pytest.mark.parametrize(
    ("title", "organism"),
    [
        ("Monthly counts of E. coli bacteraemia by Acute Trust", "ecoli"),
        ("Monthly counts of E.coli bacteraemia by Acute Trust - Trust Cases", "ecoli"),
        ("Monthly counts of MRSA bacteraemia by Acute Trust", "mrsa"),
        ("Monthly counts of C. difficile infection by Acute Trust", "cdiff"),
        ("Monthly counts of Clostridium difficile infection by CCG", "cdiff"),
        ("Monthly counts of CDI by Acute Trust", "cdiff"),
    ],
)
def test_organism_from_title(tmp_path: Path, title: str, organism: str) -> None:
    assert read_published(_trust_file(tmp_path, GOOD_ROWS, title=title)).organism == organism


def test_organism_from_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "CDI_2017-18.csv", [TRUST_HEADER, *GOOD_ROWS])
    table = read_published(path)
    assert table.organism == "cdiff" and table.title is None
    assert set(table.infections["organism"]) == {"cdiff"}
    assert infer_organism(None, "C_diff_trust.csv") == "cdiff"
    assert infer_organism("specific difference", "plain.csv") is None


def test_organism_that_cannot_be_inferred_asks_for_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "monthly.csv", [TRUST_HEADER, *GOOD_ROWS])
    with pytest.raises(InputError, match="--organism"):
        read_published(path)
    assert read_published(path, organism="E. coli").organism == "ecoli"
    assert read_published(path, organism="cdiff").organism == "cdiff"
    with pytest.raises(InputError, match="unknown organism 'flu'"):
        read_published(path, organism="flu")


def test_organism_that_contradicts_the_title_is_refused(tmp_path: Path) -> None:
    path = _trust_file(tmp_path, GOOD_ROWS, title="Monthly counts of E. coli bacteraemia by Acute Trust")
    with pytest.raises(InputError) as err:
        read_published(path, organism="mrsa")
    (p,) = err.value.items
    assert p.row == 1 and "contradicts the title" in p.message and "ecoli" in p.message
    assert read_published(path, organism="ecoli").organism == "ecoli"


def test_organism_not_imported_is_refused(tmp_path: Path) -> None:
    path = _trust_file(tmp_path, GOOD_ROWS, title="Monthly counts of MSSA bacteraemia by Acute Trust")
    with pytest.raises(InputError, match="mssa, which is not imported"):
        read_published(path)
    with pytest.raises(InputError, match="contradicts"):
        read_published(path, organism="mrsa")


# --------------------------------------------------------------------------- long layout

LONG_HEADER = (
    "Collection;Organisation type;Organisation code;Organisation name;PHE Centre;Year;Month;Metric;Figure;"
    "Data signed off;Data changed since last publication?"
)


def _long_rows(code: str, kind: str, name: str, year: str, month: str, h: int, c: int, t: int | None = None) -> list:
    t = h + c if t is None else t
    return [f"MRSA;{kind};{code}; {name};London;{year};{month};{metric};{v};Yes;No"
            for metric, v in (("Total cases", t), ("Hospital-onset", h), ("Community-onset", c))]  # fmt: skip


def test_synthetic_long_table(tmp_path: Path) -> None:
    lines = [LONG_HEADER, *_long_rows("RXX", "NHS Acute Trust", "Small Hospital", "2018", "3", 1, 2),
             *_long_rows("RXX", "NHS acute trust", "Small Hospital", "2019", "3", 0, 4),
             *_long_rows("07R", "CCG", "Camden", "2018", "3", 1, 1),
             *_long_rows("ENG", "National", "England", "2018", "3", 2, 3),
             ";;;;;;;;;;", ";;;;;;;;;;"]  # fmt: skip
    table = read_published(_write(tmp_path, "long.csv", lines))
    assert table.layout == "long" and table.organism == "mrsa"
    assert table.organisations.to_dict("records") == [
        {"code": "RXX", "name": "Small Hospital", "kind": "nhs_trust", "region": "London"},
        {"code": "07R", "name": "Camden", "kind": "ccg", "region": "London"},
    ]
    inf = table.infections.set_index(["org_code", "month", "apportionment"])["cases"].to_dict()
    assert inf == {
        ("RXX", "2018-03", "trust"): 1,
        ("RXX", "2018-03", "non_trust"): 2,
        ("RXX", "2019-03", "trust"): 0,
        ("RXX", "2019-03", "non_trust"): 4,
        ("07R", "2018-03", "population"): 2,
    }
    march = table.totals[table.totals["month"] == "2018-03"]
    assert len(march) == 6
    totals = dict(zip(march["check"], zip(march["published"], march["rows_sum"])))
    assert totals["ENG Total cases (line 11) = sum of NHS acute trusts"] == (5, 3)
    assert totals["ENG Total cases (line 11) = sum of CCGs"] == (5, 2)
    assert len(table.mismatches()) == 6  # the national figures count other organisations too


def test_long_total_that_is_not_the_sum_of_onsets_is_refused(tmp_path: Path) -> None:
    lines = [LONG_HEADER, *_long_rows("RXX", "NHS Acute Trust", "Small Hospital", "2018", "4", 1, 2, t=4)]
    with pytest.raises(InputError) as err:
        read_published(_write(tmp_path, "long.csv", lines))
    (p,) = err.value.items
    assert (p.row, p.column) == (2, "Figure")
    assert "Total cases 4 for RXX in 2018-04 is not Hospital-onset 1 (line 3) + Community-onset 2 (line 4)" in p.message


def test_long_financial_year_and_bad_cells(tmp_path: Path) -> None:
    good = [LONG_HEADER, *_long_rows("07R", "CCG", "Camden", "2018-19", "1", 1, 1),
            *_long_rows("07R", "CCG", "Camden", "2018/19", "April", 2, 1)]  # fmt: skip
    table = read_published(_write(tmp_path, "long.csv", good))
    assert sorted(table.infections["month"]) == ["2018-04", "2019-01"]
    bad = [LONG_HEADER, "MRSA;CCG;07R;Camden;London;2018;13;Total cases;1;N/A;No",
           "MRSA;Hospice;X1Y;Hospice;London;2018;4;Total cases;1;N/A;No",
           "MRSA;CCG;07R;Camden;London;2018;5;Total cases;many;N/A;No",
           "MRSA;CCG;07R;Camden;London;2018;6;Ward-onset;1;N/A;No"]  # fmt: skip
    with pytest.raises(InputError) as err:
        read_published(_write(tmp_path, "bad.csv", bad))
    assert sorted((p.row, p.column) for p in err.value.items) == [
        (2, "Month"),
        (3, "Organisation type"),
        (4, "Figure"),
        (5, "Metric"),
    ]


def test_long_organism_from_collection(tmp_path: Path) -> None:
    lines = [LONG_HEADER, *_long_rows("07R", "CCG", "Camden", "2018", "4", 1, 1)]
    path = _write(tmp_path, "data.csv", lines)
    assert read_published(path).organism == "mrsa"
    with pytest.raises(InputError, match="contradicts the Collection column"):
        read_published(path, organism="ecoli")


# --------------------------------------------------------------------------- files and folders


def test_cp1252_file_is_read(tmp_path: Path) -> None:
    rows = ["RL4;--;West Midlands;The Royal Wolverhampton¥;3;1;1;The Royal Wolverhampton¥"]
    lines = ["Title:;Monthly counts of MRSA bacteraemia by Acute Trust", TRUST_HEADER, *rows]
    table = read_published(_write(tmp_path, "old.csv", lines, encoding="cp1252"))
    assert table.organisations["name"].tolist() == ["The Royal Wolverhampton"]


def test_not_a_published_table(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", ["code,name,kind", "RXX,Small,nhs_trust"])
    with pytest.raises(InputError, match="no header row starting 'Trust Code;'"):
        read_published(path)


def test_write_data_folder_round_trips(tmp_path: Path) -> None:
    table = read_published(_trust_file(tmp_path, GOOD_ROWS))
    written = write_data_folder(table, tmp_path / "folder")
    assert written == {"organisations": tmp_path / "folder" / "organisations.csv",
                       "infections": tmp_path / "folder" / "infections.csv"}  # fmt: skip
    raw = written["organisations"].read_bytes()
    assert b"\r\n" not in raw and not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8").splitlines()[0] == "code,name,kind,region"
    assert written["infections"].read_text(encoding="utf-8").splitlines()[0] == (
        "org_code,organism,month,apportionment,cases"
    )
    data = read_data_folder(tmp_path / "folder", load_library())
    assert data["organisations"]["code"].tolist() == ["RDU", "RL4", "RN7"]
    assert data["organisations"]["name"].tolist() == table.organisations["name"].tolist()
    back = data["infections"].reset_index(drop=True)
    pd.testing.assert_frame_equal(back, table.infections.reset_index(drop=True), check_dtype=False)


def test_to_dataset(tmp_path: Path) -> None:
    path = _trust_file(tmp_path, GOOD_ROWS)
    table = read_published(path)
    data = table.to_dataset()
    assert set(data.tables) == {"organisations", "infections"}
    (info,) = data.files
    assert info.table == "published" and info.name == "trust.csv"
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and info.size == path.stat().st_size
    assert info.rows == 5  # three trusts and two Totals rows
    folder = read_data_folder(Path(write_data_folder(table, tmp_path / "f")["infections"]).parent, load_library())
    for name in ("organisations", "infections"):
        pd.testing.assert_frame_equal(data[name], folder[name])


def test_rows_without_figures_are_notes_and_a_nameless_trust_is_refused(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, ";;;North region;;;;", "NB;;;;;;;"]
    table = read_published(_trust_file(tmp_path, rows))
    assert table.organisations["code"].tolist() == ["RDU", "RL4", "RN7"]
    with pytest.raises(InputError) as err:
        read_published(_trust_file(tmp_path, [*GOOD_ROWS, "RXX;--;London;;1;1;1;"]))
    (p,) = err.value.items
    assert (p.row, p.column) == (11, "Trust Name") and "RXX has no name" in p.message
