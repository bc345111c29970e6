"""Moved to :mod:`nhs_oversight.present.files`; this shim keeps old imports working."""

from __future__ import annotations

from .present.files import OUTPUT_SUFFIXES, write_table

__all__ = ["OUTPUT_SUFFIXES", "write_table"]
