"""Errors of writing output files, and hiding passwords in database URLs (no heavy imports)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..errors import Refused, UsageError

__all__ = ["OutputError", "OutputTypeError", "redact_url"]


class OutputError(Refused, ValueError):
    """An output file could not be written (no such folder, not writable, disk full); the
    message is one line naming the path. Refused by the environment: exit status 1.

    A :class:`ValueError`, so callers that catch ``ValueError`` keep working.
    """

    def __init__(self, message: str, param: str | None = "--out") -> None:
        super().__init__(message, param)


class OutputTypeError(UsageError, ValueError):
    """An output file name of no supported type: wrong usage of ``--out`` (exit status 2)."""

    def __init__(self, message: str, param: str | None = "--out") -> None:
        super().__init__(message, param)


_SECRET_QUERY = re.compile(r"(?i)((?:^|&)(?:password|passwd|pwd|secret|token|api_key)=)[^&]*")


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for metadata and messages.

    ``redact_url("postgresql://ana:s3cret@db/oversight")`` is
    ``"postgresql://ana:***@db/oversight"``; a password in the query string
    (``?password=…``) is hidden too. Anything that does not parse as a URL (a path) is
    returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:***@{host}"
    query = _SECRET_QUERY.sub(r"\1***", parts.query)
    if netloc == parts.netloc and query == parts.query:
        return url
    head = f"{parts.scheme}://{netloc}{parts.path}"
    return head + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")
