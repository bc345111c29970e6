"""A data folder read table by table in chunks, for an import whose memory does not grow
with the folder (issue 11).

:class:`FolderStream` hands out each table's validated rows a chunk at a time
(:data:`.readers.CHUNK_ROWS` rows of a CSV file), checking each chunk as it goes: its
cells (:func:`.validate.validate_table`, vectorised per column), its organisation codes and
kinds, the counting rulebook's ceiling of plausibility, agreed trajectories, and the counts
of ``cases.csv``. Only the tables the others refer to are held whole, and both are small:
``organisations`` (one row per organisation) and ``cases`` (one per case-level report, turned
into counts before ``infections`` streams).

Duplicate keys within a streamed file are left to the consumer, which sees every row: the
store finds them in SQL over the rows it has staged (:mod:`nhs_oversight.store.load`), and
:func:`.folder.read_data_folder`, which holds each table whole anyway, with pandas. Either
reports them with :meth:`FolderStream.duplicates`.

Every problem is collected, not only the first, and :meth:`FolderStream.finish` reports them
as the whole-folder reader always has: the same problems, each naming file, row and column,
in the same order (so that the same ones are listed when there are more than
:data:`.errors.MAX_PROBLEMS`). Problems are kept per check and replayed in that order at the
end, each group capped, so that memory does not grow with their number either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..rulebooks import RulebookLibrary
from .crossfile import (
    PLAUSIBLE,
    Ceilings,
    DerivedCounts,
    check_admissions,
    check_apportionment,
    check_case_orgs,
    check_org_codes,
    check_trajectories,
    derive_counts,
    org_kinds,
)
from .errors import InputError, Problem, Problems
from .readers import SUFFIXES, RawTable, read_table_chunks
from .schemas import SCHEMAS, TABLE_ORDER
from .validate import check_duplicates, duplicate_message, validate_table

__all__ = ["FileInfo", "Chunk", "TableChunks", "FolderStream", "find_table_files", "WHOLE_TABLES"]

#: The tables read whole before the others stream, because the others refer to them.
WHOLE_TABLES = ("organisations", "cases")

#: The checks whose problems are reported, group by group, in this order: the order in which
#: the whole-folder reader has always found them. Each group is ``(check, table)``.
_ORDER: tuple[tuple[str, str], ...] = (
    ("folder", ""),
    *(("cells", name) for name in TABLE_ORDER),
    *(("org codes", name) for name in TABLE_ORDER),
    ("apportionment", "infections"),
    ("case orgs", "cases"),
    ("admissions", "cases"),
    ("trajectories", "objectives"),
    *(("plausible", name) for name in PLAUSIBLE),
)
#: Reported only when nothing of :data:`_ORDER` is: counting the cases needs clean cases, and
#: comparing the counts with ``infections.csv`` needs clean counts.
_DERIVED = (("derive", "cases"), ("clash", "infections"))


@dataclass(frozen=True)
class FileInfo:
    """What the import log keeps about a file."""

    table: str
    name: str
    rows: int
    sha256: str
    size: int


@dataclass(frozen=True)
class Chunk:
    """Some of a table's validated rows: the schema's columns, typed.

    Attributes
    ----------
    frame : pandas.DataFrame
        Index = the rows' numbers as a spreadsheet shows them (the header is row 1), when
        ``numbered``.
    numbered : bool
        False for the counts derived from ``cases.csv`` that ``infections.csv`` does not give:
        they come from no row of a file.
    """

    frame: pd.DataFrame
    numbered: bool = True


@dataclass
class TableChunks:
    """One table of the folder, as its chunks (iterate once, in :meth:`FolderStream.tables` order).

    Attributes
    ----------
    name : str
        The table (``infections``, …).
    position : int
        Where the table comes in reports: the order of :data:`.schemas.TABLE_ORDER`, and
        ``infections`` derived from ``cases.csv`` alone last (the tables are handed out in
        another order: those read whole first).
    file : str or None
        The file's name; None for ``infections`` derived from ``cases.csv`` alone.
    keys_checked : bool
        Whether duplicate keys were already looked for (a table read whole); if not, the
        consumer looks for them once it has seen every chunk, unless the table ``failed``.
    failed : bool
        The file could not be read to its end (a problem says why): its rows are incomplete.
    rows : int
        The rows handed out so far (all of them, once iterated).
    """

    name: str
    position: int
    file: str | None
    keys_checked: bool
    _chunks: Iterable[Chunk]
    failed: bool = False
    rows: int = 0

    def __iter__(self) -> Iterator[Chunk]:
        chunks, self._chunks = self._chunks, ()  # hold no chunk once handed out
        for chunk in chunks:
            self.rows += len(chunk.frame)
            yield chunk
            del chunk  # not held while the next one is read


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """The file of each known table in ``folder``; two files for one table is a problem."""
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        stem = path.stem.lower()
        if stem not in SCHEMAS:
            continue
        if stem in found:
            problems.append(
                Problem(path.name, f"table {stem!r} is given twice ({found[stem].name} and {path.name}); keep one")
            )
            continue
        found[stem] = path
    return found, problems


def shared_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns without empty cells with each distinct value held once (a month, an
    organism or a code repeats across a table's rows): the same values, a fraction of the memory."""
    for col in frame.columns:
        cells = frame[col]
        if cells.dtype == object and len(cells) and cells.notna().all():
            codes, uniques = pd.factorize(cells)
            frame[col] = pd.Series(np.asarray(uniques, dtype=object).take(codes), index=cells.index, dtype=object)
    return frame


@dataclass
class _Ledger:
    """Problems kept per check (each group capped like :class:`.errors.Problems`) and replayed
    in a fixed order."""

    groups: dict[tuple[str, str], Problems] = field(default_factory=dict)

    def __call__(self, check: str, table: str) -> Problems:
        return self.groups.setdefault((check, table), Problems())

    def forget(self, table: str) -> None:
        """Drop the checks of a table against the others (its file could not be read to its end)."""
        for key in [k for k in self.groups if k[1] == table and k[0] != "cells"]:
            del self.groups[key]

    def any(self, keys: Iterable[tuple[str, str]]) -> bool:
        return any(self.groups.get(k) for k in keys)

    def replay(self, keys: Iterable[tuple[str, str]]) -> Problems:
        out = Problems()
        for key in keys:
            group = self.groups.get(key)
            if group is None:
                continue
            for p in group.items:
                out.add(p.file, p.message, p.row, p.column)
            out.add_unlisted(group.total - len(group.items))
        return out


class FolderStream:
    """A data folder's tables, validated chunk by chunk (the streaming counterpart of
    :func:`.folder.read_data_folder`).

    Parameters
    ----------
    folder : Path
    library : RulebookLibrary
        For the ``hcai-counting`` rulebook: the ceiling of plausibility, and the attribution
        of case-level reports.
    known_orgs : pandas.DataFrame, optional
        Organisations already in the database (``code, kind``), which rows may refer to
        besides those of the folder's own ``organisations`` file.
    progress : callable, optional
        Called with the name of each file as its reading starts.

    Raises
    ------
    InputError
        ``folder`` is not a folder, or holds no data files.

    Notes
    -----
    Use: iterate :meth:`tables` to its end, iterating each table's chunks in turn (report
    the duplicate keys of a table with ``keys_checked`` false through :meth:`duplicates`),
    then call :meth:`finish`, which raises :class:`.errors.InputError` with every problem.
    Nothing the chunks held may be kept unless :meth:`finish` returns.
    """

    def __init__(
        self,
        folder: Path,
        library: RulebookLibrary,
        known_orgs: pd.DataFrame | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        if not folder.is_dir():
            raise InputError(Problem(str(folder), "is not a folder"))
        self.source = str(folder)
        self.library = library
        self.progress = progress
        self._known_orgs = known_orgs
        self._paths, found_problems = find_table_files(folder)
        self._problems = _Ledger()
        problems = self._problems("folder", "")
        for p in found_problems:
            problems.add(p.file, p.message, p.row, p.column)
        if not self._paths:
            names = ", ".join(f"{n}.csv" for n in TABLE_ORDER)
            problems.add(str(folder), f"no data files found; expected some of: {names}")
            problems.raise_if_any()
        if "organisations" not in self._paths and not (known_orgs is not None and len(known_orgs) > 0):
            problems.add("organisations.csv", "is missing: every other table refers to organisations by code")
        self._files: dict[str, FileInfo] = {}

    # -- what the consumer sees -------------------------------------------------------------

    @property
    def files(self) -> list[FileInfo]:
        """The files read to their end, in table order (for the import log)."""
        return [self._files[n] for n in TABLE_ORDER if n in self._files]

    def tables(self) -> Iterator[TableChunks]:
        """Every table of the folder: those read whole (:data:`WHOLE_TABLES`), then the others
        in :data:`.schemas.TABLE_ORDER`, then ``infections`` when it is derived from
        ``cases.csv`` alone. Sort by ``position`` for the order of reports."""
        whole = {name: self._read_whole(name) for name in WHOLE_TABLES if name in self._paths}
        kinds = org_kinds(self._known_orgs, whole.get("organisations"))
        derived = self._check_cases(whole.get("cases"), kinds)
        for name in WHOLE_TABLES:
            frame = whole.pop(name, None)
            if frame is not None:
                yield TableChunks(name, TABLE_ORDER.index(name), self._paths[name].name, True, [Chunk(frame)])
            del frame
        ceilings = Ceilings(self.library)
        for position, name in enumerate(TABLE_ORDER):
            if name in self._paths and name not in WHOLE_TABLES:
                table = TableChunks(name, position, self._paths[name].name, False, [])
                table._chunks = self._stream(table, kinds, ceilings, derived)
                yield table
        if "infections" not in self._paths and derived is not None:
            chunk = Chunk(derived.missing(), numbered=False)
            yield TableChunks("infections", len(TABLE_ORDER), None, True, [chunk])

    def duplicates(self, table: TableChunks, found: Iterable[tuple[int, tuple, int]], total: int) -> None:
        """Report rows whose key is on an earlier row of the table's file.

        Parameters
        ----------
        table : TableChunks
        found : iterable of (row, key values, first row)
            The first of them, in row order (at least :data:`.errors.MAX_PROBLEMS` when there are more).
        total : int
            How many rows repeat an earlier row's key.
        """
        assert table.file is not None
        problems = self._problems("cells", table.name)
        keys = SCHEMAS[table.name].key
        listed = 0
        for row, values, first in found:
            problems.add(table.file, duplicate_message(keys, values, first), int(row), keys[0])
            listed += 1
        problems.add_unlisted(total - listed)

    def check_duplicates(self, table: TableChunks, frame: pd.DataFrame) -> None:
        """Look for duplicate keys in a table held whole (the rows of all its chunks)."""
        assert table.file is not None
        check_duplicates(frame, SCHEMAS[table.name], self._problems("cells", table.name), table.file)

    def finish(self) -> None:
        """Raise :class:`.errors.InputError` with every problem found, in the whole-folder
        reader's order; return when the folder is clean."""
        for order in (_ORDER, _DERIVED[:1], _DERIVED[1:]):
            problems = self._problems.replay(order)
            problems.raise_if_any()

    # -- reading ----------------------------------------------------------------------------

    def _read_whole(self, name: str) -> pd.DataFrame | None:
        """A table read and validated chunk by chunk, kept whole; None when it cannot be read."""
        path = self._paths[name]
        if self.progress:
            self.progress(path.name)
        problems = self._problems("cells", name)
        schema = SCHEMAS[name]
        parts: list[pd.DataFrame] = []
        rows = 0
        try:
            raw, chunks = read_table_chunks(path)
            for frame in chunks:
                typed = validate_table(
                    RawTable(path, frame, raw.sha256, raw.size),
                    schema,
                    problems,
                    check_header=not parts,
                    check_duplicates=False,
                )
                rows += len(frame)
                parts.append(shared_text(typed))
        except InputError as exc:
            for p in exc.items:
                problems.add(p.file, p.message, p.row, p.column)
            return None
        table = parts[0] if len(parts) == 1 else pd.concat(parts)
        check_duplicates(table, schema, problems, raw.name)
        self._files[name] = FileInfo(name, raw.name, rows, raw.sha256, raw.size)
        return table

    def _check_cases(self, cases: pd.DataFrame | None, kinds: dict[str, str]) -> DerivedCounts | None:
        """Check ``cases.csv`` against the organisations and, when it is clean, count its cases."""
        if cases is None:
            return None
        file = self._paths["cases"].name
        check_org_codes(cases, SCHEMAS["cases"], kinds, self._problems("org codes", "cases"), file)
        check_case_orgs(cases, kinds, self._problems("case orgs", "cases"), file)
        check_admissions(cases, self._problems("admissions", "cases"), file)
        clean = [("cells", "cases"), ("org codes", "cases"), ("case orgs", "cases"), ("admissions", "cases")]
        if self._problems.any(clean):
            return None
        counts = derive_counts(cases, self.library, self._problems("derive", "cases"), file)
        return None if counts is None else DerivedCounts(counts)

    def _stream(
        self, table: TableChunks, kinds: dict[str, str], ceilings: Ceilings, derived: DerivedCounts | None
    ) -> Iterator[Chunk]:
        """A big table's chunks, each validated and checked against the others as it is read."""
        name, path = table.name, self._paths[table.name]
        if self.progress:
            self.progress(path.name)
        schema = SCHEMAS[name]
        cells = self._problems("cells", name)
        rows = 0
        try:
            raw, frames = read_table_chunks(path)
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    break
                typed = validate_table(
                    RawTable(path, frame, raw.sha256, raw.size),
                    schema,
                    cells,
                    check_header=rows == 0,
                    check_duplicates=False,
                )
                rows += len(frame)
                self._check_chunk(name, typed, raw.name, kinds, ceilings, derived)
                yield Chunk(typed)
                del frame, typed  # not held while the next chunk is read
        except InputError as exc:
            for p in exc.items:
                cells.add(p.file, p.message, p.row, p.column)
            table.failed = True
            self._problems.forget(name)
            return
        self._files[name] = FileInfo(name, raw.name, rows, raw.sha256, raw.size)
        if name == "infections" and derived is not None:
            yield Chunk(derived.missing(), numbered=False)

    def _check_chunk(
        self,
        name: str,
        frame: pd.DataFrame,
        file: str,
        kinds: dict[str, str],
        ceilings: Ceilings,
        derived: DerivedCounts | None,
    ) -> None:
        """A chunk's checks against the rest of the folder."""
        check_org_codes(frame, SCHEMAS[name], kinds, self._problems("org codes", name), file)
        if name == "infections":
            check_apportionment(frame, kinds, self._problems("apportionment", name), file)
            if derived is not None:
                derived.check(frame, self._problems("clash", name), file)
        if name == "objectives":
            check_trajectories(frame, file, self._problems("trajectories", name))
        if name in PLAUSIBLE:
            ceilings.check(name, frame, self._problems("plausible", name), file)
