"""Writing result tables: CSV, JSON, Parquet or XLSX, chosen by the file's extension."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

__all__ = ["OUTPUT_SUFFIXES", "write_table"]

OUTPUT_SUFFIXES = (".csv", ".json", ".parquet", ".xlsx")


def write_table(frame: pd.DataFrame, path: Path, metadata: dict[str, object] | None = None) -> Path:
    """Write ``frame`` to ``path`` in the format its extension names.

    The file is written next to its final name and moved into place, so a failed write
    never leaves half a file. JSON output is ``{"metadata": …, "rows": [...]}`` so that
    what-if settings and rulebook ids travel with the rows.

    Raises
    ------
    ValueError
        For an extension other than .csv, .json, .parquet, .xlsx.
    """
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ValueError(f"{path}: unsupported output type {suffix!r}; use {', '.join(OUTPUT_SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, lineterminator="\n")
        elif suffix == ".json":
            rows = json.loads(frame.to_json(orient="records", date_format="iso"))
            tmp.write_text(
                json.dumps({"metadata": metadata or {}, "rows": rows}, indent=2, default=str), encoding="utf-8"
            )
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False, engine="pyarrow")
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                frame.to_excel(xw, index=False, sheet_name="result")
                if metadata:
                    pd.DataFrame({"key": list(metadata), "value": [str(v) for v in metadata.values()]}).to_excel(
                        xw, index=False, sheet_name="metadata"
                    )
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
