"""Which layout a published file is, found by the names in its header row; and reading it.

Decisions
---------
Finding the header
    The header is the first of the file's first 200 lines that names every column a layout
    needs, in any order, separated by ``;``, ``,``, tab or ``|``: ``Trust Code`` and ``Trust
    Name`` (wide trust table), ``CCG Code`` and ``CCG Name`` (wide CCG table), the long
    tables' required columns (:data:`.long.LONG_COLUMNS`), ``data_collection``,
    ``year_no``, ``month_no`` and ``total_cases`` (hcaidcs extract). Lines above it are the
    title lines.
Refusals
    A file with no such header is refused with the layouts supported and the one its best
    line resembles (most of a layout's columns present), naming the columns it lacks. The
    ICB rates table and the national series are recognised and refused with the function
    that reads them (:func:`read_published_rates`, :func:`read_national_series`), and so are
    the hcaidcs extracts of national counts.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import InputError, Problem
from .hcaidcs import SIGNATURE as HCAIDCS_SIGNATURE
from .hcaidcs import national_extract_reason, read_hcaidcs
from .long import LONG_COLUMNS, collection_of, read_long
from .organism import resolve_organism
from .table import PublishedTable, build_table
from .text import Record, decode, header_key, read_bytes, records, title_of
from .wide import read_wide

__all__ = ["read_published", "SUPPORTED"]

#: The layouts :func:`read_published` reads, as a message names them.
SUPPORTED = {
    "wide-trust": "wide trust table",
    "wide-ccg": "wide CCG table",
    "long": "long 2018-19",
    "long-2020": "long 2020-21 onwards",
    "hcaidcs": "hcaidcs extract",
    "icb-rates": "ICB rates",
}
_ICB_RATES = (
    ("species",),
    ("integrated care board (icb)",),
    ("sustainability transformation partnerships code (nhs)",),
)
#: Each layout's required columns: groups of header texts, one of each group must be present.
_SIGNATURES: dict[str, tuple[tuple[str, ...], ...]] = {
    "wide-trust": (("trust code",), ("trust name",)),
    "wide-ccg": (("ccg code",), ("ccg name",)),
    "long": tuple(LONG_COLUMNS.values()),
    "hcaidcs": tuple((c,) for c in HCAIDCS_SIGNATURE),
    "icb-rates": _ICB_RATES,
}
_SEPARATORS = (";", ",", "\t", "|")
_SCAN_LINES = 200
_NOT_FOUND = (
    "no header row starting 'Trust Code;', 'CCG Code;' or 'Collection;' (or another supported header) was found"
)


def _supported() -> str:
    return ", ".join(SUPPORTED.values())


def read_published(path: Path, organism: str | None = None) -> PublishedTable:
    """Read a published monthly surveillance table as it is published.

    Parameters
    ----------
    path : Path
        A wide "by Acute Trust" or "by CCG" table, a long table (2018-19 on, including the
        layouts of 2020-21 on), or an hcaidcs extract of counts by CCG or trust, saved as
        text (``;``, ``,``, tab or ``|`` separated).
    organism : str, optional
        ``mrsa``, ``cdiff`` or ``ecoli`` (``C. difficile``, ``CDI``, ``E. coli`` are
        understood). Without it the organism is read from the title, the ``Collection``
        (``data_collection``) column or the file name. A given organism must agree with them.

    Returns
    -------
    PublishedTable

    Raises
    ------
    InputError
        The file is not a supported layout (the message lists them and names the one the
        file resembles), the organism cannot be inferred or contradicts the file, or cells
        are wrong; every problem names file, line, column.
    """
    path = Path(path)
    if path.suffix.lower() in (".ods", ".xls", ".xlsx"):
        raise InputError(
            Problem(
                path.name,
                f"a spreadsheet, not a supported published layout; supported: {_supported()} "
                "(saved as text). The UKHSA annual data tables (.ods) are read by read_national_series "
                "and read_published_rates.",
            )
        )
    data = read_bytes(path)
    text = decode(path, data)
    layout, separator, header_line = _find_header(path, text)
    all_records = list(records(text, separator))
    header_at = next(i for i, r in enumerate(all_records) if r.line >= header_line)
    preamble, header, body = all_records[:header_at], all_records[header_at], all_records[header_at + 1 :]
    title, title_line = title_of(preamble)
    if layout == "long":
        collection = collection_of(path, header, body)
        organism = resolve_organism(path, organism, title, title_line, collection)
        parsed = read_long(path, header, body)
    elif layout == "hcaidcs":
        collection = _hcaidcs_collection(path, header, body)
        organism = resolve_organism(path, organism, title, title_line, collection, "data_collection")
        parsed = read_hcaidcs(path, header, body)
    else:
        organism = resolve_organism(path, organism, title, title_line, None)
        parsed = read_wide(path, header, body, layout, title)
    return build_table(path, data, parsed, organism, title)


def _cells(line: str, separator: str) -> list[str]:
    return next(csv.reader([line], delimiter=separator), [])


def _matched(keys: set[str], signature: tuple[tuple[str, ...], ...]) -> list[bool]:
    return [any(name in keys for name in group) for group in signature]


def _find_header(path: Path, text: str) -> tuple[str, str, int]:
    """The layout family, the separator and the line number of the header row."""
    best: tuple[float, int, str, set[str], int] | None = None  # share, matched, layout, keys, line
    for number, line in enumerate(text.splitlines()[:_SCAN_LINES], start=1):
        if not line.strip():
            continue
        for separator in _SEPARATORS:
            if separator not in line:
                continue
            keys = {header_key(c) for c in _cells(line, separator)}
            for layout, signature in _SIGNATURES.items():
                hits = _matched(keys, signature)
                if all(hits) and layout == "icb-rates":
                    raise InputError(
                        Problem(
                            path.name,
                            "this is the ICB rates table (rates per 100,000 population by ICB, "
                            "organism and year; no monthly counts): read it with read_published_rates",
                            number,
                        )
                    )
                if all(hits):
                    return layout, separator, number
                share = sum(hits) / len(hits)
                if sum(hits) >= 2 and (best is None or (share, sum(hits)) > best[:2]):
                    best = (share, sum(hits), layout, keys, number)
            reason = national_extract_reason(sorted(keys))
            if reason:
                raise InputError(Problem(path.name, f"{reason}; nothing to import as infections", number))
    raise InputError(Problem(path.name, _refusal(best)))


def _refusal(best: tuple[float, int, str, set[str], int] | None) -> str:
    message = f"not a supported published layout; supported: {_supported()}"
    if best is not None and best[0] >= 0.5:
        _, _, layout, keys, line = best
        signature = _SIGNATURES[layout]
        missing = [group[0] for group, hit in zip(signature, _matched(keys, signature)) if not hit]
        if layout == "long" and keys & {"stp", "region name"}:
            layout = "long-2020"
        names = ", ".join(repr(_display(m)) for m in missing)
        message += f"; it resembles the {SUPPORTED[layout]} layout (header on line {line}) but has no column {names}"
    return f"{message} ({_NOT_FOUND})"


def _display(key: str) -> str:
    """A header key as the tables write it (``metric`` → ``Metric``)."""
    for name, texts in LONG_COLUMNS.items():
        if key in texts:
            return name
    return key if "_" in key else key.title().replace("Ccg", "CCG")


def _hcaidcs_collection(path: Path, header: Record, body: list[Record]) -> tuple[str, int] | None:
    """The ``data_collection`` of every row, with the first row's line; mixed is an error."""
    keys = [header_key(c) for c in header.cells]
    index = keys.index("data_collection")
    first: tuple[str, int] | None = None
    for record in body:
        value = record.cell(index)
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
                    "data_collection",
                )
            )
    return first
