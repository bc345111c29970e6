"""What reading a published table yields, and writing it as a data folder.

Decisions
---------
Totals
    ``Totals`` / ``National`` rows are not organisations. :attr:`PublishedTable.totals` has a
    row per month and check: the published figure, the sum of the rows, and whether they
    match. A mismatch is reported there, not raised: the table imports as published.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ...periods import Month
from ..errors import Problems
from ..readers import RawTable
from ..schemas import SCHEMAS
from ..validate import validate_table

if TYPE_CHECKING:
    from ..folder import DataSet

__all__ = ["PublishedTable", "write_data_folder", "ORG_COLUMNS", "INFECTION_COLUMNS", "TOTALS_COLUMNS"]

ORG_COLUMNS = ["code", "name", "kind", "region"]
INFECTION_COLUMNS = ["org_code", "organism", "month", "apportionment", "cases"]
TOTALS_COLUMNS = ["month", "published", "rows_sum", "matches", "check"]


@dataclass
class Parsed:
    """What a layout reader found, before the organism is attached."""

    organisations: list[dict[str, str | None]]
    infections: list[tuple[str, str, str, int]]  # org_code, month, apportionment, cases
    totals: pd.DataFrame
    rows_read: int
    layout: str = ""


@dataclass
class PublishedTable:
    """A published surveillance table, read into data-folder tables.

    Attributes
    ----------
    path : Path
        The file read.
    layout : str
        ``wide-trust``, ``wide-ccg``, ``long`` (2018-19 and 2019-20), ``long-2020`` (2020-21
        on, onset split by healthcare association), ``hcaidcs-ccg`` or ``hcaidcs-trust``.
    organism : str
        ``mrsa``, ``cdiff`` or ``ecoli``.
    organisations : pandas.DataFrame
        ``code, name, kind, region`` as in ``organisations.csv``.
    infections : pandas.DataFrame
        ``org_code, organism, month, apportionment, cases`` as in ``infections.csv``.
    totals : pandas.DataFrame
        ``month, published, rows_sum, matches, check``: each published total (the
        ``Totals`` row, or a ``National`` row of the long tables), the sum of the
        organisations' figures it should equal, whether it does, and what was compared.
        Empty for a file that publishes no totals (the hcaidcs extracts).
    title : str or None
        The title line, when there is one.
    """

    path: Path
    layout: str
    organism: str
    organisations: pd.DataFrame
    infections: pd.DataFrame
    totals: pd.DataFrame
    title: str | None
    _file: tuple[str, int, int] | None = field(default=None, repr=False, compare=False)

    def mismatches(self) -> pd.DataFrame:
        """The rows of :attr:`totals` whose published figure is not the sum of the rows.

        Returns
        -------
        pandas.DataFrame
        """
        return self.totals[~self.totals["matches"].astype(bool)]

    def to_dataset(self) -> DataSet:
        """The tables as :func:`nhs_oversight.inputs.read_data_folder` would return them.

        Returns
        -------
        DataSet
            Tables ``organisations`` and ``infections`` (typed, index = the row number
            each would have in the CSV that :func:`write_data_folder` writes) and one
            :class:`FileInfo` with ``table='published'``, the file's SHA-256, size and the
            number of data rows read from it.

        Raises
        ------
        InputError
            If the tables break the data-folder schema (it cannot happen for a table
            read by :func:`read_published`).
        """
        from ..folder import DataSet, FileInfo  # folder imports the rule engine: import late

        sha256, size, rows = self._file or _file_facts(self.path, len(self.organisations))
        problems = Problems()
        tables = {
            name: validate_table(_raw_text_table(f"{name}.csv", frame), SCHEMAS[name], problems)
            for name, frame in (("organisations", self.organisations), ("infections", self.infections))
        }
        problems.raise_if_any()
        info = FileInfo(table="published", name=self.path.name, rows=rows, sha256=sha256, size=size)
        return DataSet(source=str(self.path), tables=tables, files=[info])


def build_table(path: Path, data: bytes, parsed: Parsed, organism: str, title: str | None) -> PublishedTable:
    """The :class:`PublishedTable` of what a layout reader found."""
    organisations = pd.DataFrame(parsed.organisations, columns=ORG_COLUMNS)
    infections = pd.DataFrame(
        [(code, organism, month, app, cases) for code, month, app, cases in parsed.infections],
        columns=INFECTION_COLUMNS,
    )
    infections["cases"] = infections["cases"].astype("int64")
    return PublishedTable(
        path=path,
        layout=parsed.layout,
        organism=organism,
        organisations=organisations,
        infections=infections,
        totals=parsed.totals,
        title=title,
        _file=(hashlib.sha256(data).hexdigest(), len(data), parsed.rows_read),
    )


def totals_frame(rows: list[tuple[Month, int | None, int, str]]) -> pd.DataFrame:
    """The :attr:`PublishedTable.totals` frame of (month, published, rows' sum, check) tuples."""
    frame = pd.DataFrame(
        {
            "month": pd.Series([str(m) for m, _, _, _ in rows], dtype=object),
            "published": pd.array([p for _, p, _, _ in rows], dtype="Int64"),
            "rows_sum": pd.Series([s for _, _, s, _ in rows], dtype="int64"),
            "check": pd.Series([c for _, _, _, c in rows], dtype=object),
        }
    )
    frame["matches"] = (frame["published"] == frame["rows_sum"]).fillna(False).astype(bool)
    return frame[TOTALS_COLUMNS]


def write_data_folder(table: PublishedTable, out_dir: Path) -> dict[str, Path]:
    """Write ``organisations.csv`` and ``infections.csv`` (UTF-8, comma, ``\\n``) to a folder.

    Parameters
    ----------
    table : PublishedTable
    out_dir : Path
        Created if needed; files of the same names are replaced.

    Returns
    -------
    dict of str to Path
        ``{'organisations': …, 'infections': …}``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, frame, columns in (
        ("organisations", table.organisations, ORG_COLUMNS),
        ("infections", table.infections, INFECTION_COLUMNS),
    ):
        target = out_dir / f"{name}.csv"
        frame[columns].to_csv(target, index=False, encoding="utf-8", lineterminator="\n")
        written[name] = target
    return written


def _raw_text_table(name: str, frame: pd.DataFrame) -> RawTable:
    """A frame as the text cells a CSV of it would give, numbered as the CSV's rows."""
    text = frame.copy()
    for col in text.columns:
        text[col] = text[col].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    text = text.astype(object)
    text.index = pd.RangeIndex(2, len(text) + 2)
    return RawTable(path=Path(name), frame=text, sha256="", size=0)


def _file_facts(path: Path, rows: int) -> tuple[str, int, int]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), len(data), rows
