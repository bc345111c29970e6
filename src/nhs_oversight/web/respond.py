"""Turning results into responses: the table document of WEB.md, CSV with the bytes of the
command line's ``--out x.csv``, and every table cut to what the viewer may see."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from fastapi import Response

from ..service.results import Result, plain, rows_of
from .auth import Viewer
from .cache import Entry

__all__ = ["ALL_COLUMNS", "plain", "rows_of", "table_document", "table_response", "json_response", "csv_bytes"]

#: ``published=ALL_COLUMNS``: an anonymous reader sees every column of the route.
ALL_COLUMNS: tuple[str, ...] = ("*",)

JSON = "application/json"
CSV = "text/csv; charset=utf-8"


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Exactly what :func:`nhs_oversight.present.files.write_table` writes to a ``.csv`` file."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _assumed(result: Result, frame: pd.DataFrame) -> list[str]:
    if "assumed" in frame.columns:
        cells = frame["assumed"].dropna()
        return sorted({n for cell in cells for n in str(cell).split(";") if n})
    if "assumed" in result.table.columns:
        return []
    return result.assumed


def table_document(result: Result, frame: pd.DataFrame) -> dict[str, Any]:
    """``{"columns", "rows", "rulebook", "what_if", "assumed"}`` for the rows in ``frame``."""
    return {
        "columns": [str(c) for c in frame.columns],
        "rows": rows_of(frame),
        "rulebook": result.rulebook_label,
        "what_if": plain(result.what_if),
        "assumed": _assumed(result, frame),
    }


def dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":")).encode("utf-8")


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def table_response(
    entry: Entry,
    viewer: Viewer,
    fmt: str,
    *,
    published: tuple[str, ...] | None = None,
    more: Any = None,
) -> Response:
    """The cached result of ``entry`` as this viewer may see it, as JSON or CSV (rendered once
    per viewer scope and kept beside the result).

    ``more(result, viewer)`` may return extra keys for the JSON document.
    """
    key = (viewer.scope_key, fmt)
    body = entry.rendered.get(key)
    if body is None:
        result: Result = entry.value
        columns = (
            None if published is None else (tuple(result.table.columns) if published == ALL_COLUMNS else published)
        )
        frame = viewer.scope(result.table, columns)
        if fmt == "csv":
            body = csv_bytes(frame)
        else:
            document = table_document(result, frame)
            if more is not None:
                document.update(more(result, viewer))
            body = dumps(document)
        entry.rendered[key] = body
    if fmt == "csv":
        return Response(body, media_type=CSV)
    return json_response(body)
