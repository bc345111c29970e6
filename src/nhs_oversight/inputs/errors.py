"""Input problems a user can act on: which file, which row, which column, what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import Refused

__all__ = ["Problem", "Problems", "InputError", "MAX_PROBLEMS"]

#: How many problems are kept and shown; the rest are counted.
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Attributes
    ----------
    file : str
        The file's name (or path).
    message : str
        What is wrong and what was expected.
    row : int, optional
        The row as a spreadsheet shows it: the header is row 1, the first data row is row 2.
    column : str, optional
        The column's name.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass
class Problems:
    """A collector that keeps the first :data:`MAX_PROBLEMS` problems and counts the rest."""

    cap: int = MAX_PROBLEMS
    items: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, file: str, message: str, row: int | None = None, column: str | None = None) -> None:
        self.total += 1
        if len(self.items) < self.cap:
            self.items.append(Problem(file, message, row, column))

    def add_rows(self, file: str, rows: Iterable[int], column: str | None, messages: Iterable[str]) -> None:
        """Add one problem per (row, message) pair."""
        for row, message in zip(rows, messages):
            self.add(file, message, int(row), column)

    def add_unlisted(self, count: int) -> None:
        """Count ``count`` further problems without listing them: for a caller that has added
        the first :attr:`cap` of a longer run (then the cap is reached and none would be kept)."""
        self.total += count

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    def raise_if_any(self) -> None:
        if self.total:
            raise InputError(self)


class InputError(Refused):
    """Inputs refused: carries every problem found (up to the cap)."""

    def __init__(self, problems: Problems | list[Problem] | Problem) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        if isinstance(problems, list):
            collected = Problems()
            for p in problems:
                collected.add(p.file, p.message, p.row, p.column)
            problems = collected
        self.problems = problems
        super().__init__(self.summary())

    @property
    def message(self) -> str:
        """Every problem, one line each (the first line says how many)."""
        return self.summary()

    @property
    def items(self) -> list[Problem]:
        return self.problems.items

    def summary(self) -> str:
        n = self.problems.total
        lines = [f"{n} problem{'s' if n != 1 else ''} found; nothing was written."]
        ordered = sorted(self.problems.items, key=lambda p: (p.file, p.row or 0, p.column or ""))
        lines += [f"  {p}" for p in ordered]
        hidden = n - len(self.problems.items)
        if hidden > 0:
            lines.append(f"  … and {hidden} more")
        return "\n".join(lines)
