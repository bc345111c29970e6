"""The store: SQLAlchemy tables, opening a database by URL, all-or-nothing imports."""

from .engine import StoreError, default_db_url, memory_store, open_store, redact_url, resolve_db_url
from .load import ImportSummary, load_dataset
from .read import data_version, import_log, is_empty, read_table

__all__ = [
    "StoreError",
    "default_db_url",
    "memory_store",
    "open_store",
    "resolve_db_url",
    "redact_url",
    "ImportSummary",
    "load_dataset",
    "import_log",
    "is_empty",
    "read_table",
    "data_version",
]
