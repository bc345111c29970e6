"""A data folder read chunk by chunk gives the tables, and the problems (file, row, column,
message), of the folder read whole."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nhs_oversight.demo.generate import generate_demo
from nhs_oversight.inputs import InputError, read_data_folder, readers
from nhs_oversight.rulebooks import RulebookLibrary


def _problems(folder: Path, library: RulebookLibrary) -> list[tuple]:
    with pytest.raises(InputError) as err:
        read_data_folder(folder, library)
    return [(p.file, p.row, p.column, p.message) for p in err.value.items]


def test_demo_folder_in_chunks_equals_whole(
    tmp_path: Path, library: RulebookLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_demo(tmp_path)
    whole = read_data_folder(tmp_path, library)
    monkeypatch.setattr(readers, "CHUNK_ROWS", 997)
    chunked = read_data_folder(tmp_path, library)
    assert whole.files == chunked.files
    assert list(whole.tables) == list(chunked.tables)
    for name in whole.tables:
        pd.testing.assert_frame_equal(chunked[name].reset_index(drop=True), whole[name].reset_index(drop=True))
        assert list(chunked[name].index) == list(whole[name].index)  # spreadsheet row numbers


def test_problems_in_later_chunks_name_their_rows(
    tmp_path: Path, library: RulebookLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "organisations.csv").write_text("code,name,kind\nRTH,Oxford,foundation_trust\n5QJ,Bristol,pct\n")
    rows = [f"RTH,cdiff,2012-{m:02d},trust,{m}" for m in range(1, 13)]
    rows[4] = "RTH,cdiff,2012-05,trust,-3"  # row 6
    rows[8] = " rth ,CDIFF,2012-09,trust,many"  # row 10: codes and words are cased and stripped
    rows[10] = "RTH,cdiff,2012-03,trust,1"  # row 12: the key of row 4
    rows[11] = "RTH,cdiff,2012-13,trust,1"  # row 13
    (tmp_path / "infections.csv").write_text("org_code,organism,month,apportionment,cases\n" + "\n\n".join(rows) + "\n")
    whole = _problems(tmp_path, library)
    monkeypatch.setattr(readers, "CHUNK_ROWS", 3)
    chunked = _problems(tmp_path, library)
    assert sorted(chunked, key=str) == sorted(whole, key=str)
    assert {(row, column) for _, row, column, _ in whole} == {
        (10, "cases"),
        (18, "cases"),
        (22, "org_code"),
        (24, "month"),
    }
