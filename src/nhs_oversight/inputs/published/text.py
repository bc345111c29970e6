"""The text of a published table: bytes, encoding, records, cells, months and names.

Decisions
---------
Encodings
    UTF-8 with or without a BOM, else Windows-1252 (older saves from Excel). All twelve real
    E. coli files in ``data/raw`` and the 2020-21 long table are UTF-8 with a BOM; the ICB
    rates extract is Windows-1252 (a lone ``0xA0``, a non-breaking space, in the MRSA label).
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
Names
    Footnote marks glued to names are removed: a trailing digit glued to a letter
    (``Frimley Health3``), the symbols ``* † ‡ ¥ # § ¶``, and a capital letter the file's own
    footnotes use as a mark (``Dartford & GraveshamV`` with the footnote ``VOn 1st October
    2013 …``); where the repeated name column gives the name without the mark, that name is
    used. PHE's sort prefix ``z`` (``zSpecialist Commissioning Hubs``) is removed. Leading
    spaces (every CCG name of the 2020-21 long table starts with one) are removed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...periods import FinancialYear, Month, PeriodError
from ..errors import InputError, Problem

__all__ = ["NOT_PUBLISHED", "parse_count", "clean_name", "header_key"]

#: Cells that mean "no figure published" (after stripping spaces, case-insensitive).
NOT_PUBLISHED = frozenset({"", "-", "–", "—", "*", "..", "[x]", "[c]", "n/a"})

_COUNT_RE = re.compile(r"^\+?(\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+|\d+)(?:\.0*)?$")
_SYMBOL_MARKS = "*†‡¥#§¶"
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


@dataclass
class Record:
    """One record of the file: its first line number (1-based) and its cells."""

    line: int
    cells: list[str]

    def cell(self, index: int | None) -> str:
        """The cell at ``index`` stripped, or ``""`` when the record is shorter or index is None."""
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()

    def blank(self) -> bool:
        """Whether every cell is empty."""
        return not any(c.strip() for c in self.cells)


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a missing or empty file is an :class:`InputError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(str(path), f"cannot be read: {exc.strerror or exc}")) from None
    if not data.strip():
        raise InputError(Problem(path.name, "the file is empty"))
    return data


def decode(path: Path, data: bytes) -> str:
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


def records(text: str, separator: str) -> Iterator[Record]:
    """The records of the text with the number of the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    end = 0
    for cells in reader:
        start = end + 1
        end = reader.line_num
        yield Record(start, cells)


def header_key(text: object) -> str:
    """A header cell as compared by name: lower case, no BOM, notes or line breaks, one space.

    ``"Community-\\nonset cases [Note 1]"`` → ``"community-onset cases"``.
    """
    s = str(text).replace("\ufeff", "").replace("\u00a0", " ")
    s = re.sub(r"-\s*\n\s*", "-", s)
    s = re.sub(r"\[note \d+\]", " ", s, flags=re.IGNORECASE)
    return " ".join(s.lower().split())


def title_of(preamble: Sequence[Record]) -> tuple[str | None, int | None]:
    """The title line: the cell after ``Title:``, else the first non-empty line's text."""
    for record in preamble:
        if record.cell(0).lstrip("\ufeff").lower().rstrip(":") == "title":
            rest = [c.strip() for c in record.cells[1:] if c.strip()]
            return (" ".join(rest) or None), record.line
    for record in preamble:
        if not record.blank():
            return " ".join(c.strip().lstrip("\ufeff") for c in record.cells if c.strip()), record.line
    return None, None


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


def month_of_header(text: str) -> Month | None:
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


def month_of_long(year_text: str, month_text: str) -> Month:
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


def financial_year_of(text: str) -> FinancialYear:
    """A financial year written ``2023 to 2024``, ``2023/24``, ``2023-24`` or ``202324``."""
    s = " ".join(str(text).split())
    m = re.fullmatch(r"(\d{4})\s*to\s*(\d{4})", s, flags=re.IGNORECASE)
    if m and int(m.group(2)) == int(m.group(1)) + 1:
        return FinancialYear(int(m.group(1)))
    m = re.fullmatch(r"(\d{4})(\d{2})", s)
    if m:
        s = f"{m.group(1)}-{m.group(2)}"
    return FinancialYear.parse(s)


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


def declared_marks(notes: Iterable[Record]) -> set[str]:
    """Footnote marks declared by note lines such as ``VOn 1st October 2013 …`` or ``¥On …``."""
    marks = set()
    for record in notes:
        text = record.cell(0)
        if len(text) < 20 or any(c.strip() for c in record.cells[1:]):
            continue
        m = re.match(r"^([^\w\s]{1,2}|\d{1,2}|[A-Z])\s*(?=[A-Z][a-z])", text)
        if m:
            marks.add(m.group(1))
    return marks
