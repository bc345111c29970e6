"""Rulebooks: dated rule values, each with its source and status, and their loader."""

from .loader import (
    RulebookError,
    RulebookLibrary,
    apply_what_if,
    load_library,
    parse_set,
    read_rulebook_file,
)
from .model import STATUS_MEANING, WHAT_IF, InForce, Rulebook, RuleValue, Source

__all__ = [
    "RulebookError",
    "RulebookLibrary",
    "apply_what_if",
    "load_library",
    "parse_set",
    "read_rulebook_file",
    "STATUS_MEANING",
    "WHAT_IF",
    "InForce",
    "Rulebook",
    "RuleValue",
    "Source",
]
