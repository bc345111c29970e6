"""Read a whole data folder (DATA.md) into validated tables.

Every file is read and checked, then the files are checked against each other
(organisation codes, which kinds may have which counts, trajectories), and case-level
``cases.csv`` is turned into counts. All problems are reported together; nothing is
returned unless the folder is clean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..periods import FinancialYear, Month, PeriodError
from ..rulebooks import RulebookError, RulebookLibrary
from ..rules.hcai import attribute_cases
from .errors import InputError, Problem, Problems
from .readers import SUFFIXES, RawTable, read_table_chunks
from .schemas import COMMISSIONER_KINDS, SCHEMAS, TABLE_ORDER, TRUST_APPORTIONMENTS, TRUST_KINDS
from .validate import check_duplicates, validate_table

__all__ = ["FileInfo", "DataSet", "read_data_folder", "find_table_files"]


@dataclass(frozen=True)
class FileInfo:
    """What the import log keeps about a file."""

    table: str
    name: str
    rows: int
    sha256: str
    size: int


@dataclass
class DataSet:
    """Validated tables of one data folder, keyed by table name (``infections``, …).

    ``tables['infections']`` holds the counts given in ``infections.csv`` together with
    those derived from ``cases.csv``.
    """

    source: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[FileInfo] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def rows(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """The file of each known table in ``folder``; two files for one table is a problem."""
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        stem = path.stem.lower()
        if stem not in SCHEMAS:
            continue
        if stem in found:
            problems.append(
                Problem(path.name, f"table {stem!r} is given twice ({found[stem].name} and {path.name}); keep one")
            )
            continue
        found[stem] = path
    return found, problems


def read_data_folder(
    folder: Path,
    library: RulebookLibrary,
    known_orgs: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> DataSet:
    """Read and validate a data folder.

    Parameters
    ----------
    folder : Path
    library : RulebookLibrary
        For the ``hcai-counting`` rulebook that attributes case-level reports.
    known_orgs : pandas.DataFrame, optional
        Organisations already in the database (``code, kind``), which rows may refer to
        besides those of the folder's own ``organisations`` file.
    progress : callable, optional
        Called with the name of each file as it is read.

    Raises
    ------
    InputError
        With every problem found (up to the cap), each naming file, row and column.
    """
    if not folder.is_dir():
        raise InputError(Problem(str(folder), "is not a folder"))
    paths, found_problems = find_table_files(folder)
    problems = Problems()
    for p in found_problems:
        problems.add(p.file, p.message, p.row, p.column)
    if not paths:
        names = ", ".join(f"{n}.csv" for n in TABLE_ORDER)
        problems.add(str(folder), f"no data files found; expected some of: {names}")
        problems.raise_if_any()
    orgs_known = known_orgs is not None and len(known_orgs) > 0
    if "organisations" not in paths and not orgs_known:
        problems.add("organisations.csv", "is missing: every other table refers to organisations by code")

    data = DataSet(source=str(folder))
    raws: dict[str, RawTable] = {}
    for name in TABLE_ORDER:
        if name not in paths:
            continue
        if progress:
            progress(paths[name].name)
        try:
            raw, table, rows = _read_and_validate(paths[name], name, problems)
        except InputError as exc:
            for p in exc.items:
                problems.add(p.file, p.message, p.row, p.column)
            continue
        raws[name] = raw
        data.tables[name] = table
        data.files.append(FileInfo(name, raw.name, rows, raw.sha256, raw.size))
    _check_cross_file(data, raws, known_orgs, problems)
    _check_plausible(data, raws, library, problems)
    if problems:
        raise InputError(problems)
    _derive_counts_from_cases(data, raws, library, problems)
    problems.raise_if_any()
    return data


def _read_and_validate(path: Path, name: str, problems: Problems) -> tuple[RawTable, pd.DataFrame, int]:
    """Read and validate one file chunk by chunk, keeping only the typed cells (each
    repeated text held once), so memory grows with the typed table, not the text.

    Returns the file's :class:`RawTable` (checksum and size; no cells), the typed table and
    its number of rows.
    """
    raw, chunks = read_table_chunks(path)
    schema = SCHEMAS[name]
    parts: list[pd.DataFrame] = []
    rows = 0
    for frame in chunks:
        typed = validate_table(
            RawTable(path, frame, raw.sha256, raw.size),
            schema,
            problems,
            check_header=not parts,
            check_duplicates=False,
        )
        rows += len(frame)
        parts.append(_shared_text(typed))
    table = parts[0] if len(parts) == 1 else pd.concat(parts)
    check_duplicates(table, schema, problems, raw.name)
    return raw, table, rows


def _shared_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns without empty cells with each distinct value held once (a month, an
    organism or a code repeats across a table's rows): the same values, a fraction of the memory."""
    for col in frame.columns:
        cells = frame[col]
        if cells.dtype == object and len(cells) and cells.notna().all():
            codes, uniques = pd.factorize(cells)
            frame[col] = pd.Series(np.asarray(uniques, dtype=object).take(codes), index=cells.index, dtype=object)
    return frame


def _check_plausible(data: DataSet, raws: dict[str, RawTable], library: RulebookLibrary, problems: Problems) -> None:
    """Refuse counts above the counting rulebook's ceiling of plausibility (``max_monthly_cases``):
    a monthly count, or an annual objective above twelve times it."""
    checks = (
        ("infections", "cases", "month", Month.parse, 1, "a month"),
        ("objectives", "objective_cases", "financial_year", FinancialYear.parse, 12, "a year"),
    )
    for name, column, period_column, parse, months, span in checks:
        if name not in data.tables or data[name].empty:
            continue
        frame = data[name]
        ceilings: dict[str, float] = {}
        for period in frame[period_column].unique():
            try:
                rulebook = library.in_force("hcai-counting", parse(period).start)
                ceilings[period] = int(rulebook.value("max_monthly_cases")) * months
            except (PeriodError, RulebookError, KeyError, TypeError):
                ceilings[period] = float("inf")  # a malformed period is reported by its own check
        ceiling = frame[period_column].map(ceilings)
        over = frame[column] > ceiling
        problems.add_rows(
            raws[name].name,
            frame.index[over],
            column,
            (
                f"{v:,} cases in {span} is implausible (the ceiling is {c:,.0f}: hcai-counting max_monthly_cases); "
                "check the figure"
                for v, c in zip(frame.loc[over, column], ceiling[over])
            ),
        )


def _org_kinds(data: DataSet, known_orgs: pd.DataFrame | None) -> dict[str, str]:
    kinds: dict[str, str] = {}
    if known_orgs is not None and len(known_orgs):
        kinds.update(zip(known_orgs["code"], known_orgs["kind"]))
    if "organisations" in data.tables:
        orgs = data["organisations"]
        kinds.update(zip(orgs["code"], orgs["kind"]))
    return kinds


def _check_cross_file(
    data: DataSet, raws: dict[str, RawTable], known_orgs: pd.DataFrame | None, problems: Problems
) -> None:
    kinds = _org_kinds(data, known_orgs)
    for name, frame in data.tables.items():
        file = raws[name].name
        for col in SCHEMAS[name].org_columns:
            unknown = ~frame[col].isin(kinds)
            problems.add_rows(
                file,
                frame.index[unknown],
                col,
                (f"unknown organisation code {c!r}: it is not in organisations.csv" for c in frame.loc[unknown, col]),
            )
    kind = lambda codes: codes.map(kinds)  # noqa: E731
    if "infections" in data.tables:
        inf = data["infections"]
        k = kind(inf["org_code"])
        wrong = ((inf["apportionment"] == "population") & k.isin(TRUST_KINDS)) | (
            inf["apportionment"].isin(TRUST_APPORTIONMENTS) & k.isin(COMMISSIONER_KINDS)
        )
        problems.add_rows(
            raws["infections"].name,
            inf.index[wrong],
            "apportionment",
            (
                f"{a!r} counts do not apply to {c} (a {kk}): trusts report 'trust', 'non_trust' or 'reported' cases, "
                "PCTs and CCGs 'population' cases"
                for a, c, kk in zip(inf.loc[wrong, "apportionment"], inf.loc[wrong, "org_code"], k[wrong])
            ),
        )
    if "cases" in data.tables:
        cases = data["cases"]
        file = raws["cases"].name
        for col, allowed, what in (
            ("reporting_org", TRUST_KINDS, "a trust"),
            ("responsible_org", COMMISSIONER_KINDS, "a PCT or CCG"),
        ):
            k = kind(cases[col])
            wrong = k.notna() & ~k.isin(allowed)
            problems.add_rows(
                file,
                cases.index[wrong],
                col,
                (f"{c} is a {kk}; {col} must be {what}" for c, kk in zip(cases.loc[wrong, col], k[wrong])),
            )
        has = cases["admission_date"].notna()
        late = [
            (row, a, s)
            for row, a, s in zip(cases.index[has], cases.loc[has, "admission_date"], cases.loc[has, "specimen_date"])
            if a > s
        ]
        for row, a, s in late:
            problems.add(file, f"admission {a} is after the specimen date {s}", int(row), "admission_date")
    if "objectives" in data.tables:
        _check_trajectories(data["objectives"], raws["objectives"].name, problems)


def _check_trajectories(obj: pd.DataFrame, file: str, problems: Problems) -> None:
    """An agreed trajectory gives all four quarters, never falls, and ends at the objective."""
    qs = ["q1", "q2", "q3", "q4"]
    given = obj[qs].notna()
    partial = given.any(axis=1) & ~given.all(axis=1)
    for row in obj.index[partial]:
        missing = [q for q in qs if pd.isna(obj.at[row, q])]
        problems.add(file, "a trajectory needs all of q1, q2, q3, q4 (cumulative cases)", row, missing[0])
    full = obj[given.all(axis=1)]
    for row, r in full.iterrows():
        values = [int(r[q]) for q in qs]
        for i in range(1, 4):
            if values[i] < values[i - 1]:
                problems.add(
                    file,
                    f"the trajectory is cumulative, so {qs[i]} ({values[i]}) "
                    f"cannot be below {qs[i - 1]} ({values[i - 1]})",
                    int(row),
                    qs[i],
                )
        if values[3] != int(r["objective_cases"]):
            problems.add(
                file,
                f"q4 ({values[3]}) must equal objective_cases ({int(r['objective_cases'])}): "
                "the trajectory ends at the annual objective",
                int(row),
                "q4",
            )


def _derive_counts_from_cases(
    data: DataSet, raws: dict[str, RawTable], library: RulebookLibrary, problems: Problems
) -> None:
    """Add the counts of ``cases.csv`` to ``infections``; a count given both ways must agree."""
    if "cases" not in data.tables:
        return
    cases = data["cases"]
    years = pd.to_datetime(cases["specimen_date"]).map(lambda d: d.year if d.month >= 4 else d.year - 1)
    derived = []
    for start_year, group in cases.groupby(years):
        try:
            rulebook = library.in_force("hcai-counting", dt.date(int(start_year), 4, 1))
        except ValueError as exc:
            problems.add(raws["cases"].name, str(exc), int(group.index[0]), "specimen_date")
            continue
        derived.append(attribute_cases(group, rulebook))
    if problems or not derived:
        return
    counts = pd.concat(derived, ignore_index=True)
    key = ["org_code", "organism", "month", "apportionment"]
    counts = counts.groupby(key, as_index=False)["cases"].sum()
    if "infections" in data.tables:
        given = data["infections"]
        merged = given.reset_index(names="row").merge(counts, on=key, how="inner", suffixes=("", "_derived"))
        clash = merged[merged["cases"] != merged["cases_derived"]]
        for _, r in clash.iterrows():
            problems.add(
                raws["infections"].name,
                f"gives {r['cases']} cases, but cases.csv gives {r['cases_derived']} for "
                f"{r['org_code']} {r['organism']} {r['month']} {r['apportionment']}",
                int(r["row"]),
                "cases",
            )
        new = counts.merge(given[key], on=key, how="left", indicator=True)
        new = new[new["_merge"] == "left_only"].drop(columns="_merge")
        data.tables["infections"] = pd.concat([given, new], ignore_index=True)
    else:
        data.tables["infections"] = counts
