"""Result tables as files: CSV, JSON, Parquet or XLSX, chosen by the file's extension.

Files keep codes (``amber_red``), never labels, so that scripts can read them; the
terminal and the pages show labels (:mod:`.labels`).

Writes are atomic: the table is written to a hidden temporary file in the destination
folder and moved over the destination with :func:`os.replace`, so a reader sees the old
file or the new one, never half a file, and a failed write leaves the folder as it was.

Formats
-------
.csv
    ``index=False``, ``\\n`` line ends, UTF-8.
.json
    ``{"metadata": {...}, "rows": [{column: value, ...}, ...]}``, indented by 2; dates ISO.
.parquet
    pyarrow, ``index=False``.
.xlsx
    Sheet ``result``: a bold, filled, wrapped header row, frozen with the first column,
    an autofilter, column widths fitted to their contents (at most 60 characters), numbers
    stored as numbers. Sheet ``metadata``: ``key``/``value`` rows: every key of the
    caller's metadata, then ``version`` and ``generated_at`` (ISO, UTC).
"""

from __future__ import annotations

import errno
import json
import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import OutputError, OutputTypeError, redact_url

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["OUTPUT_SUFFIXES", "write_table"]

OUTPUT_SUFFIXES = (".csv", ".json", ".parquet", ".xlsx")
#: The widest column an XLSX sheet is given [characters].
XLSX_MAX_WIDTH = 60
#: Rows an XLSX sheet holds, the header included.
XLSX_MAX_ROWS = 1_048_576


def write_table(
    frame: pd.DataFrame, path: str | os.PathLike[str], metadata: Mapping[str, object] | None = None
) -> Path:
    """Write ``frame`` to ``path`` in the format its extension names; return the path.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows, with codes (not labels).
    path : path-like
        Ends ``.csv``, ``.json``, ``.parquet`` or ``.xlsx``; its folder must exist.
    metadata : mapping, optional
        What the rows rest on (``command``, ``rulebook``, ``what_if``, ``database``, …),
        written into JSON and XLSX files. String values that are URLs have any password
        replaced by ``***``.

    Raises
    ------
    OutputError
        One line naming the path: an unsupported extension, a folder that does not exist
        or is not writable, a path component that is a file, a path that is a folder, a
        disk error. Nothing is left behind.

    Examples
    --------
    >>> write_table(table, Path("ratings.xlsx"), {"command": "governance", "rulebook": rb.label})
    """
    path = Path(path)
    suffix = _check(path)
    if suffix == ".xlsx" and len(frame) + 1 > XLSX_MAX_ROWS:
        raise OutputError(
            f"{path}: {len(frame):,} rows are more than an XLSX sheet holds ({XLSX_MAX_ROWS - 1:,}); "
            "write .csv or .parquet"
        )
    meta = {str(k): (redact_url(v) if isinstance(v, str) and "://" in v else v) for k, v in (metadata or {}).items()}
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # the umask applies
        _WRITERS[suffix](frame, tmp, meta)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: could not write the file: {_reason(exc)}") from None
    except OutputError:
        raise
    except Exception as exc:  # a value the format cannot hold (pyarrow, openpyxl)
        kind = suffix.lstrip(".").upper()
        raise OutputError(f"{path}: could not write the table as {kind}: {' '.join(str(exc).split())}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _check(path: Path) -> str:
    """The path's suffix, once the path can be written to; else an OutputError."""
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        what = f"a {suffix!r} file" if suffix else "a file without an extension"
        raise OutputTypeError(f"{path}: cannot write {what}; the file name must end {', '.join(OUTPUT_SUFFIXES)}")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name, such as {path / ('result' + suffix)}")
    folder = path.parent
    for part in [folder, *folder.parents]:
        if part.exists():
            if not part.is_dir():
                raise OutputError(f"{path}: {part} is a file, not a folder")
            break
    if not folder.is_dir():
        raise OutputError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: the folder {folder} is not writable")
    return suffix


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


def _write_csv(frame: pd.DataFrame, tmp: Path, metadata: dict[str, object]) -> None:
    frame.to_csv(tmp, index=False, lineterminator="\n")


def _write_json(frame: pd.DataFrame, tmp: Path, metadata: dict[str, object]) -> None:
    rows = json.loads(frame.to_json(orient="records", date_format="iso"))
    tmp.write_text(json.dumps({"metadata": metadata, "rows": rows}, indent=2, default=str), encoding="utf-8")


def _write_parquet(frame: pd.DataFrame, tmp: Path, metadata: dict[str, object]) -> None:
    frame.to_parquet(tmp, index=False, engine="pyarrow")


def _write_xlsx(frame: pd.DataFrame, tmp: Path, metadata: dict[str, object]) -> None:
    import pandas as pd

    from .. import __version__

    table = frame.copy()
    for column in table.columns:  # Excel has no time zones: write UTC
        if isinstance(table[column].dtype, pd.DatetimeTZDtype):
            table[column] = table[column].dt.tz_convert("UTC").dt.tz_localize(None)
    meta = {**metadata, "version": __version__, "generated_at": datetime.now(UTC).isoformat(timespec="seconds")}
    about = pd.DataFrame({"key": list(meta), "value": [_text(v) for v in meta.values()]})
    with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        table.to_excel(xw, index=False, sheet_name="result")
        about.to_excel(xw, index=False, sheet_name="metadata")
        _style(xw.sheets["result"], table, freeze="B2")
        _style(xw.sheets["metadata"], about, freeze="A2")


def _text(value: object) -> str:
    """A metadata value as one cell: mappings and lists as JSON."""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False)
    return "" if value is None else str(value)


def _style(ws: Any, frame: pd.DataFrame, freeze: str) -> None:
    """Bold, filled, wrapped header; frozen panes; autofilter; widths fitted to contents."""
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="D9E1F2")
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
    ws.freeze_panes = freeze
    if len(frame.columns):
        ws.auto_filter.ref = ws.dimensions
    sample = frame.head(2000)
    for i, column in enumerate(frame.columns, start=1):
        values = sample[column]
        longest = max((len(s) for s in values.map(_cell_text)), default=0)
        header = max((len(w) for w in str(column).split()), default=0)
        width = min(max(longest, header, 6) + 2, XLSX_MAX_WIDTH)
        ws.column_dimensions[get_column_letter(i)].width = width
        if values.dtype.kind in "iu":
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "#,##0"
        elif longest > XLSX_MAX_WIDTH - 2:  # long text wraps within the capped width
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = wrap


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


_WRITERS = {".csv": _write_csv, ".json": _write_json, ".parquet": _write_parquet, ".xlsx": _write_xlsx}
