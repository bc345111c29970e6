"""Read the published mandatory-surveillance tables (MRSA, C. difficile, E. coli) as they are.

PHE / UKHSA publish monthly HCAI counts in three layouts; :func:`read_published` recognises
each by its header row and turns it into the ``organisations`` and ``infections`` tables
of the data folder (DATA.md), checking the published totals on the way.

Layouts
-------
``wide-trust``
    "Monthly counts of … by Acute Trust". Title lines (``Title:;…``, ``Reporting Period:;…``),
    then a header ``Trust Code;Trust Type;PHE Centre;Trust Name;<month>…;Trust Name``, a
    ``Totals`` row (often repeated at the bottom, sometimes spelled ``Total``), blank rows,
    one row per trust, footnotes. Trust Type ``FT`` is a ``foundation_trust``, anything else
    (``--``) an ``nhs_trust``; the region is the PHE Centre. The counts are every case the
    trust reported (apportionment ``reported``) unless the title says the table holds
    trust-apportioned / trust-assigned / hospital-onset cases (``trust``) or non-trust /
    community-onset ones (``non_trust``). The 2016-17 title "… by Acute Trust - Trust Cases"
    means all cases reported by the trust: its totals equal the CCG tables' totals.
``wide-ccg``
    "Monthly counts of … by CCG": ``CCG Code;PHE Centre;CCG Name;<month>…;CCG Name``, a blank
    row after every five CCGs. Kind ``ccg``, apportionment ``population``.
``long``
    From 2018-19: ``Collection;Organisation type;Organisation code;Organisation name;
    PHE Centre;Year;Month;Metric;Figure;…``, one figure per row. ``NHS Acute Trust`` rows give
    ``Hospital-onset`` (imported as ``trust``) and ``Community-onset`` (``non_trust``);
    ``CCG`` rows give ``Total cases`` (``population``); ``National`` rows are the published
    totals. ``Year`` is the calendar year of the month (months 4-12 of 2018 and 1-3 of 2019,
    and both Marches, in the 2018-19 file: 13 months); a ``Year`` written as a financial
    year (``2018-19``) is read as one. Empty rows (18k of them in the 2019-20 file) are skipped.

Decisions
---------
Months
    Every column whose header is a month (``April 2017``, ``Apr-17``, ``2017-04``) is imported
    as that month, whatever the count of columns. The 13-column tables (E. coli trust
    2016-17, CCG 2014-15 and 2016-17) run from March of the year before to March
    ("Reporting Period: March 2014 to March 2015"): the 13th column is a real month, not a
    total, and is imported. Columns headed otherwise (``Total``, ``YTD``) are not counts.
Missing figures
    An empty cell and the marks :data:`NOT_PUBLISHED` (``-``, ``*``, ``..``, ``[x]``, ``[c]``,
    ``n/a``; Wirral's E. coli row of 2014-15 is all ``-``) mean "no figure": no
    ``infections`` row is written (it is not a zero) and the cell adds nothing to the sums.
    Any other cell that is not a whole number ≥ 0 (thousands may be grouped: ``3 231``,
    ``3,231``) is an :class:`InputError` naming the file, the line (1-based, as a text editor
    counts) and the column's header text.
Totals
    ``Totals`` / ``National`` rows are not organisations. :attr:`PublishedTable.totals` has a
    row per month and check: the published figure, the sum of the rows, and whether they
    match. A mismatch is reported there, not raised: the table imports as published.
Long-format consistency
    A trust's or CCG's ``Total cases`` must equal ``Hospital-onset + Community-onset`` when
    all three are given; a difference is an :class:`InputError` naming the ``Total cases``
    row (the file contradicts itself and no figure can be chosen). A trust-month without both
    onset figures imports its ``Total cases`` as ``reported``.
Organisation status in long tables
    The long tables say ``NHS Acute Trust`` for every trust without foundation-trust status,
    so all their trusts are imported as ``nhs_trust``; correct the kind from another source
    (e.g. an ``organisations.csv`` of the same codes) where it matters.
Names
    Footnote marks glued to names are removed: a trailing digit glued to a letter
    (``Frimley Health3``), the symbols ``* † ‡ ¥ # § ¶``, and a capital letter the file's own
    footnotes use as a mark (``Dartford & GraveshamV`` with the footnote ``VOn 1st October
    2013 …``); where the repeated name column gives the name without the mark, that name is
    used. PHE's sort prefix ``z`` (``zSpecialist Commissioning Hubs``) is removed.
    The CCG tables' "Specialist Commissioning Hubs" row has no code in four of the five
    files; it gets ``13Q``, the code PHE gives it in the 2014-15 CCG table and the 2019-20
    long table (kind ``ccg``, since its cases are counted with the CCGs'). Any other row
    with figures and no code is an :class:`InputError`.
Encodings
    UTF-8 with or without a BOM, else Windows-1252 (older saves from Excel). All twelve real
    E. coli files in ``data/raw`` are UTF-8 with a BOM; none needs the fallback.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..periods import FinancialYear, Month, PeriodError
from .errors import InputError, Problem, Problems
from .readers import RawTable
from .schemas import ORGANISMS, SCHEMAS
from .validate import validate_table

if TYPE_CHECKING:
    from .folder import DataSet

__all__ = [
    "LAYOUTS",
    "NOT_PUBLISHED",
    "PublishedTable",
    "read_published",
    "write_data_folder",
    "clean_name",
    "infer_organism",
]

LAYOUTS = ("wide-trust", "wide-ccg", "long")
#: Cells that mean "no figure published" (after stripping spaces, case-insensitive).
NOT_PUBLISHED = frozenset({"", "-", "–", "—", "*", "..", "[x]", "[c]", "n/a"})
#: The code of the "Specialist Commissioning Hubs" row, which most CCG tables leave blank.
SPECIALIST_HUBS_CODE = "13Q"
_SPECIALIST_HUBS_NAME = "specialist commissioning hubs"

ORG_COLUMNS = ["code", "name", "kind", "region"]
INFECTION_COLUMNS = ["org_code", "organism", "month", "apportionment", "cases"]
TOTALS_COLUMNS = ["month", "published", "rows_sum", "matches", "check"]

_HEADER_RE = re.compile(r'^\ufeff?\s*"?(trust code|ccg code|collection)"?\s*([;,\t|])', re.IGNORECASE)
_CODE_RE = re.compile(r"^[A-Za-z0-9]{2,10}$")
_COUNT_RE = re.compile(r"^\+?(\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+|\d+)(?:\.0*)?$")
_TOTAL_NAMES = frozenset({"total", "totals", "grand total", "england", "national total"})
_SYMBOL_MARKS = "*†‡¥#§¶"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_HEADER_RE = re.compile(r"^([A-Za-z]{3,9})\.?[\s\-/]+(\d{4}|\d{2})$")
#: Words naming an organism, by organism; the last three are published but not imported.
_ORGANISM_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("ecoli", r"\be\.?\s*coli\b|escherichia"),
        ("mrsa", r"\bmrsa\b|\bmeth?icillin[- ]resistant"),
        ("cdiff", r"\bc\.?\s*diff(?:icile)?\b|clostridi\w*\s+difficile|\bcdi\b"),
        ("mssa", r"\bmssa\b|\bmeth?icillin[- ]s[eu]"),
        ("klebsiella", r"klebsiella"),
        ("pseudomonas", r"pseudomonas|\bp\.?\s*aeruginosa"),
    )
)
_APPORTIONMENT_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("non_trust", re.compile(r"non[- ]?trust|community[- ]onset", re.IGNORECASE)),
    ("trust", re.compile(r"apportioned|assigned|hospital[- ]onset", re.IGNORECASE)),
)
_LONG_TYPES = {"ccg": "ccg", "nhs acute trust": "nhs_trust", "national": "national"}
_LONG_METRICS = {
    "total cases": "total",
    "hospital-onset": "hospital",
    "hospital onset": "hospital",
    "community-onset": "community",
    "community onset": "community",
}
_LONG_COLUMNS = ("organisation type", "organisation code", "organisation name", "year", "month", "metric", "figure")


@dataclass
class PublishedTable:
    """A published surveillance table, read into data-folder tables.

    Attributes
    ----------
    path : Path
        The file read.
    layout : str
        ``wide-trust``, ``wide-ccg`` or ``long`` (see the module docstring).
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
        from .folder import DataSet, FileInfo  # folder imports the rule engine: import late

        sha256, size, rows = self._file or _file_facts(self.path, len(self.organisations))
        problems = Problems()
        tables = {
            name: validate_table(_raw_text_table(f"{name}.csv", frame), SCHEMAS[name], problems)
            for name, frame in (("organisations", self.organisations), ("infections", self.infections))
        }
        problems.raise_if_any()
        info = FileInfo(table="published", name=self.path.name, rows=rows, sha256=sha256, size=size)
        return DataSet(source=str(self.path), tables=tables, files=[info])


# --------------------------------------------------------------------------- reading


@dataclass
class _Record:
    """One record of the file: its first line number (1-based) and its cells."""

    line: int
    cells: list[str]

    def cell(self, index: int | None) -> str:
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()

    def blank(self) -> bool:
        return not any(c.strip() for c in self.cells)


@dataclass
class _Parsed:
    """What a layout reader found, before the organism is attached."""

    organisations: list[dict[str, str | None]]
    infections: list[tuple[str, str, str, int]]  # org_code, month, apportionment, cases
    totals: pd.DataFrame
    rows_read: int


def read_published(path: Path, organism: str | None = None) -> PublishedTable:
    """Read a published monthly surveillance table as it is published.

    Parameters
    ----------
    path : Path
        A wide "by Acute Trust" or "by CCG" table, or a long table (2018-19 on), saved as
        ``;``-separated text.
    organism : str, optional
        ``mrsa``, ``cdiff`` or ``ecoli`` (``C. difficile``, ``CDI``, ``E. coli`` are
        understood). Without it the organism is read from the title, the ``Collection``
        column or the file name. A given organism must agree with the title or
        ``Collection`` column.

    Returns
    -------
    PublishedTable

    Raises
    ------
    InputError
        The file is not one of the three layouts, the organism cannot be inferred or
        contradicts the file, or cells are wrong; every problem names file, line, column.
    """
    path = Path(path)
    data = _read_bytes(path)
    text = _decode(path, data)
    separator, header_line = _find_header(path, text)
    records = list(_records(text, separator))
    header_at = next(i for i, r in enumerate(records) if r.line >= header_line)
    preamble, header, body = records[:header_at], records[header_at], records[header_at + 1 :]
    first = header.cell(0).lstrip("\ufeff").lower()
    title, title_line = _title(preamble)
    if first == "collection":
        layout = "long"
        collection = _collection(path, header, body)
        organism = _resolve_organism(path, organism, title, title_line, collection)
        parsed = _read_long(path, header, body)
    else:
        layout = "wide-trust" if first == "trust code" else "wide-ccg"
        organism = _resolve_organism(path, organism, title, title_line, None)
        if layout == "wide-trust":
            apportionment, kind = _trust_apportionment(title), None
        else:
            apportionment, kind = "population", "ccg"
        parsed = _read_wide(path, header, body, apportionment, kind)
    organisations = pd.DataFrame(parsed.organisations, columns=ORG_COLUMNS)
    infections = pd.DataFrame(
        [(code, organism, month, app, cases) for code, month, app, cases in parsed.infections],
        columns=INFECTION_COLUMNS,
    )
    infections["cases"] = infections["cases"].astype("int64")
    return PublishedTable(
        path=path,
        layout=layout,
        organism=organism,
        organisations=organisations,
        infections=infections,
        totals=parsed.totals,
        title=title,
        _file=(hashlib.sha256(data).hexdigest(), len(data), parsed.rows_read),
    )


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(str(path), f"cannot be read: {exc.strerror or exc}")) from None
    if not data.strip():
        raise InputError(Problem(path.name, "the file is empty"))
    return data


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else Windows-1252."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(Problem(path.name, "is UTF-16 text; save it as UTF-8 (or Windows-1252) text"))
    if b"\x00" in data[:8192]:
        raise InputError(Problem(path.name, "is a binary file; save the table as ';'-separated text (CSV)"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(path.name, f"is neither UTF-8 nor Windows-1252 text (byte 0x{data[exc.start]:02x})")
        ) from None


def _find_header(path: Path, text: str) -> tuple[str, int]:
    """The separator and the line number of the header row."""
    for number, line in enumerate(text.splitlines(), start=1):
        m = _HEADER_RE.match(line)
        if m:
            return m.group(2), number
    raise InputError(
        Problem(
            path.name,
            "is not a published surveillance table: no header row starting 'Trust Code;', 'CCG Code;' "
            "or 'Collection;' was found",
        )
    )


def _records(text: str, separator: str) -> Iterator[_Record]:
    """The records of the text with the number of the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    end = 0
    for cells in reader:
        start = end + 1
        end = reader.line_num
        yield _Record(start, cells)


def _title(preamble: Sequence[_Record]) -> tuple[str | None, int | None]:
    """The title line: the cell after ``Title:``, else the first non-empty line's text."""
    for record in preamble:
        if record.cell(0).lstrip("\ufeff").lower().rstrip(":") == "title":
            rest = [c.strip() for c in record.cells[1:] if c.strip()]
            return (" ".join(rest) or None), record.line
    for record in preamble:
        if not record.blank():
            return " ".join(c.strip().lstrip("\ufeff") for c in record.cells if c.strip()), record.line
    return None, None


# --------------------------------------------------------------------------- cells


def parse_count(text: str) -> int | None:
    """A published count: ``None`` for a figure not published, else a whole number ≥ 0.

    Parameters
    ----------
    text : str
        The cell. Thousands may be grouped with a space or comma (``3 231``).

    Returns
    -------
    int or None

    Raises
    ------
    ValueError
        With a message saying what was found and what was expected.
    """
    s = text.strip()
    if s.lower() in NOT_PUBLISHED:
        return None
    m = _COUNT_RE.match(s)
    if m:
        return int(re.sub(r"\D", "", m.group(1)))
    shown = repr(s if len(s) <= 40 else s[:37] + "...")
    if re.match(r"^-\s*\d", s):
        raise ValueError(f"{shown} is negative; counts cannot be below 0")
    if re.match(r"^\+?\d*\.\d+$", s):
        raise ValueError(f"{shown} is not a whole number")
    marks = ", ".join(repr(m) for m in sorted(NOT_PUBLISHED) if m)
    raise ValueError(f"{shown} is not a count (a whole number ≥ 0; empty or {marks} = not published)")


def _month_of_header(text: str) -> Month | None:
    """The month a column header names (``April 2017``, ``Apr-17``, ``2017-04``), else None."""
    s = text.strip()
    try:
        return Month.parse(s)
    except PeriodError:
        pass
    m = _MONTH_HEADER_RE.match(s)
    if not m:
        return None
    word = m.group(1).lower()
    number = next((i for i, name in enumerate(_MONTH_NAMES, 1) if name.startswith(word)), None)
    if number is None or len(word) < 3:
        return None
    year = int(m.group(2))
    if year < 100:
        year += 2000
    try:
        return Month(year, number)
    except PeriodError:
        return None


def _month_of_long(year_text: str, month_text: str) -> Month:
    """The month of a long-table row from its ``Year`` and ``Month`` cells.

    ``Year`` is a calendar year (``2018``) or a financial year (``2018-19``); ``Month`` a
    number (``3``) or a name (``March``).
    """
    y, m = year_text.strip(), month_text.strip()
    if m.isdigit():
        number = int(m)
    else:
        word = m.lower()
        number = next((i for i, name in enumerate(_MONTH_NAMES, 1) if len(word) >= 3 and name.startswith(word)), 0)
    if not 1 <= number <= 12:
        raise PeriodError(f"month {m!r} does not exist; expected 1-12 or a month's name")
    if re.fullmatch(r"\d{4}", y):
        return Month(int(y), number)
    fy = FinancialYear.parse(y)
    return Month(fy.start_year if number >= 4 else fy.start_year + 1, number)


def clean_name(name: str, repeated: str = "", marks: Iterable[str] = ()) -> str:
    """An organisation's name without the footnote marks glued to it.

    Parameters
    ----------
    name : str
        The name as published (``Frimley Health3``, ``The Royal Wolverhampton¥``).
    repeated : str, optional
        The same row's repeated name column; used when it is the name less a short
        glued suffix (the mark).
    marks : iterable of str, optional
        Marks the file's footnotes declare (``V`` for ``VOn 1st October 2013 …``).

    Returns
    -------
    str
    """
    s = " ".join(name.split())
    other = " ".join(repeated.split())
    s = re.sub(r"^z(?=[A-Z])", "", s)
    letters = [m for m in marks if len(m) == 1 and m.isalpha() and m.isupper()]
    while True:
        before = s
        s = re.sub(rf"\s*[{re.escape(_SYMBOL_MARKS)}]+$", "", s)
        s = re.sub(r"(?<=[^\W\d_]|[)'’.])\d{1,2}$", "", s)
        for mark in letters:
            s = re.sub(rf"(?<=[a-z)'’]){re.escape(mark)}$", "", s)
        s = s.rstrip()
        if s == before:
            break
    suffix = s[len(other) :] if other and s.startswith(other) else ""
    if re.fullmatch(r"[^a-z\s]{1,2}", suffix) and not other[-1].isupper() and not other[-1].isspace():
        s = other
    return s


def _declared_marks(records: Iterable[_Record]) -> set[str]:
    """Footnote marks declared by note lines such as ``VOn 1st October 2013 …`` or ``¥On …``."""
    marks = set()
    for record in records:
        text = record.cell(0)
        if len(text) < 20 or any(c.strip() for c in record.cells[1:]):
            continue
        m = re.match(r"^([^\w\s]{1,2}|\d{1,2}|[A-Z])\s*(?=[A-Z][a-z])", text)
        if m:
            marks.add(m.group(1))
    return marks


# --------------------------------------------------------------------------- wide layouts


@dataclass
class _WideColumns:
    """Where things are in a wide header."""

    code: int
    name: int
    code_header: str
    name_header: str
    repeated: int | None
    trust_type: int | None
    region: int | None
    months: list[tuple[int, Month, str]]  # column, month, header text


def _wide_columns(path: Path, header: _Record) -> _WideColumns:
    problems = Problems()
    cells = [c.strip().lstrip("\ufeff") for c in header.cells]
    lower = [c.lower() for c in cells]
    names = [i for i, c in enumerate(lower) if c in ("trust name", "ccg name")]
    if not names:
        raise InputError(
            Problem(path.name, "the header has no 'Trust Name' or 'CCG Name' column", header.line, cells[0])
        )

    def find(*wanted: str) -> int | None:
        return next((i for i, c in enumerate(lower) if c in wanted), None)

    months: list[tuple[int, Month, str]] = []
    seen: dict[Month, str] = {}
    for i, c in enumerate(cells):
        month = _month_of_header(c) if c else None
        if month is None:
            continue
        if month in seen:
            problems.add(path.name, f"month {month} is given twice (also by {seen[month]!r})", header.line, c)
        seen[month] = c
        months.append((i, month, c))
    if not months:
        problems.add(path.name, "the header names no months (expected headers like 'April 2017')", header.line)
    problems.raise_if_any()
    return _WideColumns(
        code=0,
        name=names[0],
        code_header=cells[0],
        name_header=cells[names[0]],
        repeated=names[1] if len(names) > 1 else None,
        trust_type=find("trust type"),
        region=find("phe centre", "phe centre name", "phe region", "region"),
        months=months,
    )


def _read_wide(path: Path, header: _Record, body: list[_Record], apportionment: str, kind: str | None) -> _Parsed:
    """Read a wide trust (``kind`` None: from Trust Type) or CCG (``kind='ccg'``) table."""
    cols = _wide_columns(path, header)
    problems = Problems()
    rows: list[tuple[_Record, str, dict[Month, int | None]]] = []  # record, code, counts
    total_rows: list[tuple[_Record, dict[Month, int | None]]] = []
    notes: list[_Record] = []
    first_line: dict[str, int] = {}
    for record in body:
        role, code = _wide_role(path, record, cols, problems)
        if role == "totals":
            total_rows.append((record, _wide_counts(path, record, cols, problems)))
        elif role == "note":
            notes.append(record)
        elif role == "organisation" and code in first_line:
            message = f"code {code} is given twice (also on line {first_line[code]})"
            problems.add(path.name, message, record.line, cols.code_header)
        elif role == "organisation":
            first_line[code] = record.line
            rows.append((record, code, _wide_counts(path, record, cols, problems)))
    if not rows:
        problems.add(path.name, "has no organisation rows under the header", header.line)
    problems.raise_if_any()
    marks = _declared_marks(notes)
    organisations = [_wide_organisation(record, code, cols, kind, marks) for record, code, _ in rows]
    infections = [
        (code, str(month), apportionment, cases)
        for _, code, counts in rows
        for month, cases in counts.items()
        if cases is not None
    ]
    sums = {month: sum(c.get(month) or 0 for _, _, c in rows) for _, month, _ in cols.months}
    totals = _wide_totals(total_rows, sums)
    return _Parsed(organisations, infections, totals, rows_read=len(rows) + len(total_rows))


def _wide_role(path: Path, record: _Record, cols: _WideColumns, problems: Problems) -> tuple[str, str]:
    """What a row under the header is: ``organisation`` (with its code), ``totals``,
    ``note`` (blank rows and footnotes: nothing in the month columns), or ``bad``."""
    code, name = record.cell(cols.code), record.cell(cols.name)
    figures = any(record.cell(i) for i, _, _ in cols.months)
    if not code and name.lower() in _TOTAL_NAMES:
        return "totals", ""
    if code and _CODE_RE.match(code) and (name or figures):
        if not name:
            problems.add(path.name, f"the row of {code.upper()} has no name", record.line, cols.name_header)
            return "bad", ""
        return "organisation", code.upper()
    if not figures:
        return "note", ""
    if not code and clean_name(name).lower() == _SPECIALIST_HUBS_NAME:
        return "organisation", SPECIALIST_HUBS_CODE
    if not code:
        problems.add(path.name, f"the row of {name!r} has no organisation code", record.line, cols.code_header)
    else:
        problems.add(path.name, f"{code!r} is not an organisation code", record.line, cols.code_header)
    return "bad", ""


def _wide_counts(path: Path, record: _Record, cols: _WideColumns, problems: Problems) -> dict[Month, int | None]:
    counts: dict[Month, int | None] = {}
    for i, month, header_text in cols.months:
        try:
            counts[month] = parse_count(record.cell(i))
        except ValueError as exc:
            problems.add(path.name, str(exc), record.line, header_text)
            counts[month] = None
    return counts


def _wide_organisation(
    record: _Record, code: str, cols: _WideColumns, kind: str | None, marks: set[str]
) -> dict[str, str | None]:
    if kind is None:
        kind = "foundation_trust" if record.cell(cols.trust_type).upper() == "FT" else "nhs_trust"
    return {
        "code": code,
        "name": clean_name(record.cell(cols.name), record.cell(cols.repeated), marks),
        "kind": kind,
        "region": record.cell(cols.region) or None,
    }


def _wide_totals(total_rows: list[tuple[_Record, dict[Month, int | None]]], sums: dict[Month, int]) -> pd.DataFrame:
    """One row per month for the Totals rows (one set when they all agree)."""
    groups: list[tuple[list[int], dict[Month, int | None]]] = []
    for record, counts in total_rows:
        same = next((g for g in groups if g[1] == counts), None)
        if same is None:
            groups.append(([record.line], counts))
        else:
            same[0].append(record.line)
    out = []
    for lines, counts in groups:
        label = "Totals row (line" + ("s " if len(lines) > 1 else " ") + ", ".join(map(str, lines)) + ")"
        out += [(month, counts.get(month), total, label) for month, total in sums.items()]
    return _totals_frame(out)


def _totals_frame(rows: list[tuple[Month, int | None, int, str]]) -> pd.DataFrame:
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


def _trust_apportionment(title: str | None) -> str:
    """``trust`` / ``non_trust`` when the title says so, else ``reported`` (every case)."""
    for apportionment, pattern in _APPORTIONMENT_WORDS:
        if title and pattern.search(title):
            return apportionment
    return "reported"


# --------------------------------------------------------------------------- long layout


def _long_columns(path: Path, header: _Record) -> dict[str, int]:
    lower = [c.strip().lstrip("\ufeff").lower() for c in header.cells]
    index = {name: lower.index(name) for name in (*_LONG_COLUMNS, "collection", "phe centre") if name in lower}
    missing = [name for name in _LONG_COLUMNS if name not in index]
    if missing:
        raise InputError(
            [
                Problem(
                    path.name, f"the long table has no {name.capitalize()!r} column", header.line, name.capitalize()
                )
                for name in missing
            ]
        )
    return index


def _collection(path: Path, header: _Record, body: list[_Record]) -> tuple[str, int] | None:
    """The ``Collection`` named by every row, with the first row's line; mixed is an error."""
    col = _long_columns(path, header).get("collection")
    if col is None:
        return None
    first: tuple[str, int] | None = None
    for record in body:
        value = record.cell(col)
        if not value:
            continue
        if first is None:
            first = (value, record.line)
        elif value.lower() != first[0].lower():
            raise InputError(
                Problem(
                    path.name,
                    f"holds more than one collection ({first[0]!r} on line {first[1]}, {value!r} here); "
                    "import one organism per file",
                    record.line,
                    "Collection",
                )
            )
    return first


@dataclass
class _LongRow:
    line: int
    kind: str
    code: str
    month: Month
    metric: str
    figure: int | None


def _read_long(path: Path, header: _Record, body: list[_Record]) -> _Parsed:
    col = _long_columns(path, header)
    headers = {name: header.cells[i].strip().lstrip("\ufeff") for name, i in col.items()}
    problems = Problems()
    rows: list[_LongRow] = []
    organisations: dict[str, dict[str, str | None]] = {}
    for record in body:
        if record.blank():
            continue
        row = _long_row(path, record, col, headers, problems)
        if row is None:
            continue
        rows.append(row)
        if row.kind != "national" and row.code not in organisations:
            organisations[row.code] = {
                "code": row.code,
                "name": clean_name(record.cell(col["organisation name"])),
                "kind": row.kind,
                "region": record.cell(col.get("phe centre")) or None,
            }
    figures = _index_long(path, rows, organisations, headers, problems)
    _check_onset_sums(path, figures, headers["figure"], problems)
    if not organisations:
        problems.add(path.name, "has no CCG or NHS acute trust rows", header.line)
    problems.raise_if_any()
    infections = _long_infections(figures, list(organisations))
    totals = _long_totals(figures)
    return _Parsed(list(organisations.values()), infections, totals, rows_read=len(rows))


def _long_row(
    path: Path, record: _Record, col: dict[str, int], headers: dict[str, str], problems: Problems
) -> _LongRow | None:
    file, line = path.name, record.line
    type_text = record.cell(col["organisation type"])
    kind = _LONG_TYPES.get(" ".join(type_text.lower().split()))
    if kind is None:
        problems.add(
            file,
            f"unknown organisation type {type_text!r}; expected CCG, NHS Acute Trust or National",
            line,
            headers["organisation type"],
        )
    code = record.cell(col["organisation code"]).upper()
    if not _CODE_RE.match(code):
        problems.add(file, f"{code!r} is not an organisation code", line, headers["organisation code"])
    metric_text = record.cell(col["metric"])
    metric = _LONG_METRICS.get(metric_text.lower())
    if metric is None:
        problems.add(
            file,
            f"unknown metric {metric_text!r}; expected Total cases, Hospital-onset or Community-onset",
            line,
            headers["metric"],
        )
    month: Month | None = None
    try:
        month = _month_of_long(record.cell(col["year"]), record.cell(col["month"]))
    except PeriodError as exc:
        bad_year = not re.fullmatch(r"\d{4}|\d{4}[-/]\d{2}", record.cell(col["year"]))
        problems.add(file, str(exc), line, headers["year" if bad_year else "month"])
    figure: int | None = None
    try:
        figure = parse_count(record.cell(col["figure"]))
    except ValueError as exc:
        problems.add(file, str(exc), line, headers["figure"])
    if kind is None or metric is None or month is None or not _CODE_RE.match(code):
        return None
    return _LongRow(line, kind, code, month, metric, figure)


_Key = tuple[str, str, Month, str]  # kind, code, month, metric


def _index_long(
    path: Path,
    rows: list[_LongRow],
    organisations: dict[str, dict[str, str | None]],
    headers: dict[str, str],
    problems: Problems,
) -> dict[_Key, _LongRow]:
    """The rows keyed by organisation, month and metric; duplicates and kind clashes are problems."""
    figures: dict[_Key, _LongRow] = {}
    for row in rows:
        if row.kind != "national" and organisations[row.code]["kind"] != row.kind:
            problems.add(
                path.name,
                f"{row.code} is a {organisations[row.code]['kind']} on an earlier line and a {row.kind} here",
                row.line,
                headers["organisation type"],
            )
            continue
        key = (row.kind, row.code, row.month, row.metric)
        if key in figures:
            problems.add(
                path.name,
                f"{row.code} {row.month} {row.metric} is given twice (also on line {figures[key].line})",
                row.line,
                headers["metric"],
            )
            continue
        figures[key] = row
    return figures


def _check_onset_sums(path: Path, figures: dict[_Key, _LongRow], figure_header: str, problems: Problems) -> None:
    """Each organisation's Total cases = Hospital-onset + Community-onset, where all are given."""
    for (kind, code, month, metric), total in figures.items():
        if metric != "total" or kind == "national" or total.figure is None:
            continue
        hospital = figures.get((kind, code, month, "hospital"))
        community = figures.get((kind, code, month, "community"))
        if hospital is None or community is None or hospital.figure is None or community.figure is None:
            continue
        if hospital.figure + community.figure != total.figure:
            problems.add(
                path.name,
                f"Total cases {total.figure} for {code} in {month} is not Hospital-onset {hospital.figure} "
                f"(line {hospital.line}) + Community-onset {community.figure} (line {community.line})",
                total.line,
                figure_header,
            )


def _figure(figures: dict[_Key, _LongRow], key: _Key) -> int | None:
    row = figures.get(key)
    return None if row is None else row.figure


def _long_infections(figures: dict[_Key, _LongRow], order: list[str]) -> list[tuple[str, str, str, int]]:
    """The infections rows of a long table, in the organisations' order, then by month.

    Trusts: hospital-onset → ``trust``, community-onset → ``non_trust``; a trust-month
    without both imports its total as ``reported``. CCGs: the total → ``population``.
    """
    rank = {code: i for i, code in enumerate(order)}
    out: list[tuple[str, str, str, int]] = []
    for (kind, code, month, metric), row in figures.items():
        if kind == "ccg" and metric == "total" and row.figure is not None:
            out.append((code, str(month), "population", row.figure))
        if kind != "nhs_trust":
            continue
        hospital = _figure(figures, (kind, code, month, "hospital"))
        community = _figure(figures, (kind, code, month, "community"))
        has_total = (kind, code, month, "total") in figures
        if metric == "total" and hospital is not None and community is not None:
            out += [(code, str(month), "trust", hospital), (code, str(month), "non_trust", community)]
        elif metric == "total" and row.figure is not None:
            out.append((code, str(month), "reported", row.figure))
        elif metric != "total" and not has_total and row.figure is not None:
            out.append((code, str(month), "trust" if metric == "hospital" else "non_trust", row.figure))
    order_of = {"trust": 0, "non_trust": 1, "reported": 2, "population": 3}
    out.sort(key=lambda r: (rank[r[0]], r[1], order_of[r[2]]))
    return out


def _long_totals(figures: dict[_Key, _LongRow]) -> pd.DataFrame:
    """Each National figure against the sum of the trusts' and of the CCGs' same metric."""
    metric_names = {"total": "Total cases", "hospital": "Hospital-onset", "community": "Community-onset"}
    scopes = {"nhs_trust": "NHS acute trusts", "ccg": "CCGs"}
    sums: dict[tuple[str, Month, str], int] = {}
    present: set[tuple[str, Month, str]] = set()
    for (kind, _, month, metric), row in figures.items():
        if kind in scopes:
            present.add((kind, month, metric))
            sums[(kind, month, metric)] = sums.get((kind, month, metric), 0) + (row.figure or 0)
    out = []
    nationals = sorted(
        ((k, r) for k, r in figures.items() if k[0] == "national"),
        key=lambda kr: (kr[0][2], list(metric_names).index(kr[0][3])),
    )
    for (_, code, month, metric), row in nationals:
        for kind, scope in scopes.items():
            if (kind, month, metric) in present:
                label = f"{code} {metric_names[metric]} (line {row.line}) = sum of {scope}"
                out.append((month, row.figure, sums[(kind, month, metric)], label))
    return _totals_frame(out)


# --------------------------------------------------------------------------- organism


def _named_organisms(text: str) -> list[str]:
    spaced = re.sub(r"[_\-]+", " ", text)
    return [name for name, pattern in _ORGANISM_WORDS if pattern.search(spaced)]


def infer_organism(*texts: str | None) -> str | None:
    """The organism the first text that names one names (None if none does or it is unclear).

    Parameters
    ----------
    *texts : str or None
        Title, ``Collection`` value, file name … in order of trust.

    Returns
    -------
    str or None
        ``mrsa``, ``cdiff``, ``ecoli``, or a name not imported (``mssa``, ``klebsiella``,
        ``pseudomonas``).
    """
    for text in texts:
        named = _named_organisms(text or "")
        if named:
            return named[0] if len(named) == 1 else None
    return None


def _normalise_organism(path: Path, organism: str) -> str:
    s = organism.strip().lower()
    if s in ORGANISMS:
        return s
    named = _named_organisms(s)
    if len(named) == 1 and named[0] in ORGANISMS:
        return named[0]
    raise InputError(Problem(path.name, f"unknown organism {organism!r}; expected one of {', '.join(ORGANISMS)}"))


def _resolve_organism(
    path: Path,
    organism: str | None,
    title: str | None,
    title_line: int | None,
    collection: tuple[str, int] | None,
) -> str:
    """The given organism checked against the file, or the one the file names."""
    stated: tuple[list[str], str, int | None] | None = None  # named, where, line
    for text, where, line in (
        (title, "the title", title_line),
        (collection[0] if collection else None, "the Collection column", collection[1] if collection else None),
    ):
        named = _named_organisms(text or "")
        if named:
            stated = (named, f"{where} ({text!r})", line)
            break
    if organism is not None:
        given = _normalise_organism(path, organism)
        if stated and given not in stated[0]:
            raise InputError(
                Problem(path.name, f"--organism {given} contradicts {stated[1]}, which names {stated[0][0]}", stated[2])
            )
        return given
    named = stated[0] if stated else _named_organisms(path.stem)
    where = stated[1] if stated else f"the file name ({path.name!r})"
    if len(named) == 1 and named[0] in ORGANISMS:
        return named[0]
    if len(named) == 1:
        reason = f"{where} names {named[0]}, which is not imported ({', '.join(ORGANISMS)} are)"
    elif named:
        reason = f"{where} names several organisms ({', '.join(named)})"
    else:
        reason = "neither the title, a Collection column nor the file name names the organism"
    raise InputError(Problem(path.name, f"{reason}; give it with --organism ({', '.join(ORGANISMS)})"))


# --------------------------------------------------------------------------- output


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
