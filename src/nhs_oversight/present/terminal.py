"""Tables on a terminal that fit its width and never split a word or a number.

The layout is computed here rather than left to rich, whose fallback when a table is too
wide is to narrow every column, cutting numbers and words in half. The rules:

- Every number, code and date is shown whole on one line; text wraps only at spaces.
- Each column is at least as wide as its longest number, code, date or word (and the
  longest word of its header). When the columns asked for do not fit, the columns of
  lowest priority (the end of ``display``) are left out and a line names them; the first
  column, the key, is always shown.
- Spare width goes first to the columns that need least of it to show nine cells in ten on
  one line (so fewer rows take two lines), then to the rest of the cells, then to headers.
- Codes are shown as labels (:func:`.labels.humanise`); headers are
  :func:`.labels.column_label`, wrapping at spaces.
- The notes column (``reason``) is not a table column: each row's note is listed below the
  table as ``KEY: text``, wrapped at spaces with a hanging indent.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment, Segments
from rich.table import Table
from rich.text import Text

from .labels import column_label, humanise, label

__all__ = ["format_value", "render_paragraph", "render_records", "render_table", "table_width"]

#: The narrowest a table is laid out when the output is not a terminal [characters].
MIN_PIPE_WIDTH = 100
#: Characters between two columns: padding, separator, padding.
_GAP = 3


def table_width(console: Console, width: int | None = None) -> int:
    """The width to lay a table out in: ``width`` if given; else the terminal's width, or,
    when the output is not a terminal (a pipe, a file), the console's width but at least
    :data:`MIN_PIPE_WIDTH`."""
    if width:
        return width
    if console.is_terminal:
        return console.width
    return max(console.width, MIN_PIPE_WIDTH)


def format_value(value: object) -> str:
    """One cell as text: integers with thousands separators, floats to 2 decimals (3
    significant figures below 1, for probabilities), booleans ``yes``/``no``, dates ISO,
    lists joined by ``"; "``, None and NaN empty.

    >>> format_value(1234567), format_value(3.14159), format_value(0.012345), format_value(True)
    ('1,234,567', '3.14', '0.0123', 'yes')
    """
    if isinstance(value, bool | np.bool_):
        return label(bool(value))
    if isinstance(value, list | tuple):
        return "; ".join(format_value(v) for v in value)
    try:
        if value is None or value != value:  # NaN, NaT
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | Decimal | np.floating):
        return _format_float(float(value))
    if isinstance(value, datetime):
        if value.tzinfo is None and (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return f"{value:%Y-%m-%d}"
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _format_float(value: float) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    size = abs(value)
    if size >= 1 or size == 0:
        return f"{value:,.2f}"
    if size < 1e-6:
        return f"{value:.2e}"
    decimals = 2 - math.floor(math.log10(size))  # 3 significant figures
    return f"{value:.{decimals}f}"


def _is_number(value: object) -> bool:
    return not isinstance(value, bool | np.bool_) and isinstance(value, int | float | Decimal | np.number)


def _blank(value: object) -> bool:
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):
        return False


@dataclass
class _Column:
    """One column as laid out: its cells as text and the widths it can take."""

    name: str
    header: str
    cells: list[str]
    numeric: bool
    whole: bool  # never wrapped: numbers, dates
    least: int  # the narrowest it can be without splitting a word or a number
    usual: int  # the width that holds nine cells in ten on one line
    most: int  # the width its contents need on one line (header words aside)
    header_most: int  # the width its header needs on one line

    @classmethod
    def of(cls, name: str, raw: pd.Series, shown: pd.Series) -> _Column:
        values = [v for v in raw if not _blank(v)]
        numeric = bool(values) and all(_is_number(v) for v in values)
        dated = bool(values) and all(isinstance(v, date) for v in values)
        if numeric and raw.dtype.kind == "f":
            finite = [float(v) for v in values if math.isfinite(float(v))]
            if finite and all(v.is_integer() and abs(v) < 1e15 for v in finite):  # counts held as floats
                shown = raw.map(_as_whole)
        cells = [_spaced(v) if isinstance(v, str) else format_value(v) for v in shown]
        header = column_label(name)
        whole = numeric or dated
        least_cell = max((cell_len(c) if whole else _longest_word(c) for c in cells), default=0)
        least = max(least_cell, _longest_word(header), 1)
        lines = sorted(_widest_line(c) for c in cells) or [0]
        usual = max(lines[int(0.9 * (len(lines) - 1))], least)
        most = max(lines[-1], least)
        return cls(name, header, cells, numeric, whole, least, usual, most, max(most, _widest_line(header)))


def _as_whole(value: float) -> str:
    """A whole number held as a float (a count with gaps) shown as an integer."""
    if _blank(value):
        return ""
    return format_value(int(value)) if math.isfinite(value) else format_value(value)


def _spaced(text: str) -> str:
    """Codes joined by ``;`` (``cdiff;ae_4hr``) with a space after each ``;``, so they wrap."""
    return re.sub(r";(?=\S)", "; ", text.replace("\t", " "))


def _longest_word(text: str) -> int:
    return max((cell_len(w) for w in text.split()), default=0)


def _widest_line(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _overhead(n: int) -> int:
    """Characters a table of ``n`` columns takes besides its cells (see :func:`_table`)."""
    return _GAP * (n - 1) if n else 0


def _fit(columns: list[_Column], width: int) -> tuple[list[_Column], list[int]]:
    """The columns that fit, in priority order (the first always), and their widths."""
    keep = len(columns)
    while keep > 1 and sum(c.least for c in columns[:keep]) + _overhead(keep) > width:
        keep -= 1
    kept = columns[:keep]
    widths = [min(c.least, width) if i == 0 else c.least for i, c in enumerate(kept)]
    spare = width - _overhead(keep) - sum(widths)
    # spare width: first so that most cells fit on one line, then all, then the headers;
    # at each stage the columns needing least go first, so fewer rows take two lines
    for target in ([c.usual for c in kept], [c.most for c in kept], [c.header_most for c in kept]):
        for i in sorted(range(len(kept)), key=lambda i: target[i] - widths[i]):
            grow = min(max(target[i] - widths[i], 0), spare)
            widths[i] += grow
            spare -= grow
    return kept, widths


def _table(columns: list[_Column], widths: list[int], rows: int) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        header_style="bold",
        expand=False,
    )
    for column, width in zip(columns, widths):
        squeezed = column.least > width  # only the key column, wider than the whole table
        table.add_column(
            Text(column.header, no_wrap=False, overflow="ellipsis"),
            justify="right" if column.numeric else "left",
            width=width,
            no_wrap=column.whole and not squeezed,
            overflow="ellipsis",
        )
    for r in range(rows):
        table.add_row(*[Text(c.cells[r]) for c in columns])
    return table


def _print_lines(console: Console, lines: list[str], style: str | None = None) -> None:
    for line in lines:
        console.print(Text(line, style=style or ""), soft_wrap=True, highlight=False)


def _wrap(text: str, width: int, indent: int = 0, first: str = "") -> list[str]:
    """``first + text`` wrapped at spaces, continuation lines indented by ``indent`` unless
    that would leave a word no line can hold."""
    indent = max(0, min(indent, width - max((len(w) for w in text.split()), default=0)))
    return textwrap.wrap(
        first + text,
        width=width,
        subsequent_indent=" " * indent,
        break_long_words=True,  # only a word wider than the whole line is cut
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _print_renderable(console: Console, renderable: Table, width: int) -> None:
    """Print at ``width`` even when it is wider than the console (a pipe is 80 wide)."""
    lines = console.render_lines(renderable, console.options.update(width=width), pad=False)
    out: list[Segment] = []
    for line in lines:
        while line and not line[-1].text.strip() and not (line[-1].style and line[-1].style.bgcolor):
            line = line[:-1]
        if line and not (line[-1].style and line[-1].style.bgcolor):
            last = line[-1]
            line = [*line[:-1], Segment(last.text.rstrip(), last.style, last.control)]
        out.extend(line)
        out.append(Segment.line())
    console.print(Segments(out), soft_wrap=True, end="")


def render_paragraph(text: str, *, console: Console, width: int | None = None, indent: int = 2) -> None:
    """Print ``text`` wrapped at spaces to the table width, continuation lines indented (a
    line below a table, such as the assumed values the rows rest on).

    Examples
    --------
    >>> render_paragraph(f"These results rest on assumed values: {', '.join(names)}.", console=Console())
    """
    _print_lines(console, _wrap(" ".join(text.split()), table_width(console, width), indent=indent))


def render_table(
    frame: pd.DataFrame,
    *,
    title: str | None,
    console: Console,
    display: Sequence[str] | None = None,
    notes: str | None = "reason",
    key: str | None = None,
    max_rows: int = 400,
    width: int | None = None,
) -> None:
    """Print ``frame`` as a table that fits the width, with labels for codes.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows, with codes (as written to files).
    title : str, optional
        Printed above the table, bold.
    console : rich.console.Console
        Where to print.
    display : sequence of str, optional
        The columns to show, most important first; the first is the key and always shown.
        Columns that do not fit are left out from the end, and named below the table.
        Default: every column.
    notes : str, optional
        A column of sentences (default ``reason``) listed below the table, one
        ``KEY: text`` entry per row, instead of being a column.
    key : str, optional
        The column that names each note; default: the first displayed column.
    max_rows : int
        Rows shown; a line says how many more there are.
    width : int, optional
        The width to fit [characters]; default :func:`table_width`.

    Examples
    --------
    >>> render_table(result.table, title="Governance risk ratings, 2012-13-Q2", console=Console(),
    ...              display=["org_code", "rating", "score", "failed", "escalation"])
    """
    width = table_width(console, width)
    names = [str(c) for c in (display if display is not None else frame.columns)]
    names = [c for c in dict.fromkeys(names) if c in frame.columns and c != notes]
    if title:
        _print_lines(console, _wrap(title, width), style="bold")
    if frame.empty or not names:
        _print_lines(console, ["No rows."])
        return
    head = frame.head(max_rows)
    shown = humanise(head[names])
    columns = [_Column.of(n, head[n], shown[n]) for n in names]
    kept, widths = _fit(columns, width)
    _print_renderable(console, _table(kept, widths, len(head)), width)

    dropped = [c.header for c in columns[len(kept) :]]
    hidden = [c for c in frame.columns if c not in names and c != notes]
    if dropped:
        more = "; --out FILE writes them all" + (f" ({len(frame.columns)} columns)" if hidden else "")
        text = f"{len(dropped)} more column{'s' if len(dropped) > 1 else ''} not shown: {', '.join(dropped)}{more}"
        _print_lines(console, _wrap(text, width, indent=2))
    elif hidden:
        _print_lines(console, _wrap(f"--out FILE writes all {len(frame.columns)} columns", width))

    if notes and notes in frame.columns:
        key = key if key is not None and key in frame.columns else names[0]
        keys = [format_value(v) for v in humanise(head[[key]])[key]]
        for i, (k, note) in enumerate(zip(keys, head[notes])):
            if _blank(note) or not str(note).strip():
                continue
            prefix = f"{k or f'row {i + 1}'}: "
            indent = len(prefix) if len(prefix) <= 12 else 4
            _print_lines(console, _wrap(" ".join(str(note).split()), width, indent=indent, first=prefix))
    if len(frame) > max_rows:
        _print_lines(console, [f"… {len(frame) - max_rows:,} more rows; --out FILE writes the whole table"])


def render_records(
    frame: pd.DataFrame,
    *,
    title: str | None,
    console: Console,
    key: str | None = None,
    fields: Sequence[str] | None = None,
    group: Sequence[str] | None = None,
    max_rows: int = 400,
    width: int | None = None,
) -> None:
    """Print each row as ``Label: value`` pairs packed into as few lines as the width
    allows, for tables whose columns are too many or too long for a table (the import log:
    paths and checksums). Values are formatted and labelled as in :func:`render_table`;
    empty values are left out; a pair wider than the line wraps at spaces.

    Parameters
    ----------
    key : str, optional
        The column that starts each row (or each group), bold; default: the first column.
    fields : sequence of str, optional
        The other columns shown, in order; default: every other column.
    group : sequence of str, optional
        Columns shared by consecutive rows (an import's time, source, mode): written once
        on the key's line when they change, the rows' other fields indented below it.
        Without ``group``, a row's fields follow its key on the same line.

    Examples
    --------
    >>> render_records(import_log(engine), title="Import log", console=Console(), key="import_id",
    ...                group=["started_at", "mode", "version", "source"])
    """
    width = table_width(console, width)
    if title:
        _print_lines(console, _wrap(title, width), style="bold")
    if frame.empty or not len(frame.columns):
        _print_lines(console, ["No rows."])
        return
    key = key if key is not None and key in frame.columns else str(frame.columns[0])
    names = [str(c) for c in (fields if fields is not None else frame.columns)]
    names = [c for c in dict.fromkeys(names) if c in frame.columns and c != key]
    shared = [c for c in dict.fromkeys(group or []) if c in frame.columns and c != key]
    names = [c for c in names if c not in shared]
    head = frame.head(max_rows)
    shown = humanise(head[[key, *shared, *names]])
    cells = {n: _Column.of(n, head[n], shown[n]).cells for n in [key, *shared, *names]}
    indent = 4

    def pairs(columns: list[str], r: int) -> list[str]:
        texts = ((n, " ".join(cells[n][r].split())) for n in columns)
        return [f"{column_label(n)}: {text}" for n, text in texts if text]

    def pack(start: str, pieces: list[str]) -> list[str]:
        lines = _wrap(start, width) if cell_len(start) > width else [start]
        for piece in pieces:
            joined = f"{lines[-1]}  {piece}" if lines[-1].strip() else lines[-1] + piece
            if cell_len(joined) <= width:
                lines[-1] = joined
            else:
                lines.extend(_wrap(piece, width, indent=indent * 2, first=" " * indent))
        return lines

    previous: tuple[str, ...] | None = None
    for r in range(len(head)):
        name = cells[key][r]
        now = tuple(cells[c][r] for c in [key, *shared])
        headed = group is None or now != previous  # the row (or its group) starts with its key
        previous = now
        if group is None:
            lines = pack(name, pairs(names, r))
        else:
            lines = pack(name, pairs(shared, r)) if headed else []
            rest = pack(" " * indent, pairs(names, r))
            lines += rest if rest[0].strip() else rest[1:]
        if headed:
            bold = min(len(name), len(lines[0]))
            console.print(Text.assemble((lines[0][:bold], "bold"), lines[0][bold:]), soft_wrap=True, highlight=False)
            lines = lines[1:]
        _print_lines(console, lines)
    if len(frame) > max_rows:
        _print_lines(console, [f"… {len(frame) - max_rows:,} more rows; --out FILE writes the whole table"])
