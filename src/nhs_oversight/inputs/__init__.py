"""Inputs: the data-folder schemas of DATA.md, readers, validation and their errors."""

from .errors import MAX_PROBLEMS, InputError, Problem, Problems
from .folder import DataSet, FileInfo, read_data_folder
from .schemas import SCHEMAS, TableSchema
from .stream import FolderStream

__all__ = [
    "MAX_PROBLEMS",
    "InputError",
    "Problem",
    "Problems",
    "DataSet",
    "FileInfo",
    "read_data_folder",
    "FolderStream",
    "SCHEMAS",
    "TableSchema",
]
