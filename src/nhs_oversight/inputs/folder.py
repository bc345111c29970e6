"""Read a whole data folder (DATA.md) into validated tables.

Every file is read and checked, then the files are checked against each other
(organisation codes, which kinds may have which counts, trajectories), and case-level
``cases.csv`` is turned into counts. All problems are reported together; nothing is
returned unless the folder is clean.

The folder is read through :class:`.stream.FolderStream`, chunk by chunk, and each table is
kept whole here (for the demo, ``--data DIR`` runs and the tests). ``oversight import``
streams the same chunks into the database instead (:func:`nhs_oversight.store.load.load_stream`),
so that its memory does not grow with the folder; both find the same problems.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..rulebooks import RulebookLibrary
from .stream import FileInfo, FolderStream, find_table_files, shared_text

__all__ = ["FileInfo", "DataSet", "read_data_folder", "find_table_files"]


@dataclass
class DataSet:
    """Validated tables of one data folder, keyed by table name (``infections``, …).

    ``tables['infections']`` holds the counts given in ``infections.csv`` together with
    those derived from ``cases.csv``.
    """

    source: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[FileInfo] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def rows(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}


def read_data_folder(
    folder: Path,
    library: RulebookLibrary,
    known_orgs: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> DataSet:
    """Read and validate a data folder.

    Parameters
    ----------
    folder : Path
    library : RulebookLibrary
        For the ``hcai-counting`` rulebook that attributes case-level reports.
    known_orgs : pandas.DataFrame, optional
        Organisations already in the database (``code, kind``), which rows may refer to
        besides those of the folder's own ``organisations`` file.
    progress : callable, optional
        Called with the name of each file as it is read.

    Returns
    -------
    DataSet
        Each table's index is the spreadsheet row number of its rows, except ``infections``
        when ``cases.csv`` is given (its derived counts come from no row: 0, 1, 2, …).

    Raises
    ------
    InputError
        With every problem found (up to the cap), each naming file, row and column.
    """
    stream = FolderStream(folder, library, known_orgs=known_orgs, progress=progress)
    tables: dict[str, tuple[int, pd.DataFrame]] = {}
    for table in stream.tables():
        parts: list[pd.DataFrame] = []
        derived: pd.DataFrame | None = None
        for chunk in table:
            if chunk.numbered:
                parts.append(chunk.frame if table.keys_checked else shared_text(chunk.frame))
            else:
                derived = chunk.frame
        if table.failed:
            continue
        frame = None
        if parts:
            frame = parts[0] if len(parts) == 1 else pd.concat(parts)
            if not table.keys_checked:
                stream.check_duplicates(table, frame)
        if derived is not None:
            frame = derived if frame is None else pd.concat([frame, derived], ignore_index=True)
        if frame is not None:
            tables[table.name] = (table.position, frame)
    stream.finish()
    in_order = sorted(tables.items(), key=lambda item: item[1][0])
    return DataSet(source=str(folder), tables={name: frame for name, (_, frame) in in_order}, files=stream.files)
