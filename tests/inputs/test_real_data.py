"""Real published counts through the data-folder reader and the store.

The hcaidcs package's MRSA counts by CCG (July 2016 to July 2017, 901 cases, real codes
such as 00C and 99M) are rewritten as a data folder by hand, imported, and read back; and
read as published by :func:`read_published` into the store.
Skips where ../shared is absent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nhs_oversight.inputs import read_data_folder
from nhs_oversight.inputs.published import read_published
from nhs_oversight.store import load_dataset, memory_store, read_table

from ..conftest import SHARED

RAW = SHARED / "data" / "raw" / "hcaidcs-package-data" / "monthly_ccg_data_raw.csv"
pytestmark = pytest.mark.skipif(not RAW.exists(), reason="../shared/data/raw is absent")


def test_real_ccg_mrsa_counts_import_whole(tmp_path: Path, library) -> None:
    raw = pd.read_csv(RAW, dtype={"ccg_code": str})
    folder = tmp_path / "ccg"
    folder.mkdir()
    codes = sorted(raw["ccg_code"].unique())
    pd.DataFrame({"code": codes, "name": [f"CCG {c}" for c in codes], "kind": "ccg"}).to_csv(
        folder / "organisations.csv", index=False
    )
    infections = pd.DataFrame(
        {
            "org_code": raw["ccg_code"],
            "organism": "mrsa",
            "month": [f"{y}-{m:02d}" for y, m in zip(raw["year_no"], raw["month_no"])],
            "apportionment": "population",
            "cases": raw["total_cases"],
        }
    )
    infections.to_csv(folder / "infections.csv", index=False)
    data = read_data_folder(folder, library)
    engine = memory_store()
    load_dataset(engine, data)
    back = read_table(engine, "infections")
    assert len(back) == len(raw) == 714
    assert back["cases"].sum() == raw["total_cases"].sum() == 901
    assert back["org_code"].nunique() == 193
    assert set(back["month"]).issuperset({"2016-07", "2017-07"})


def test_real_ccg_mrsa_counts_read_as_published_reach_the_store() -> None:
    raw = pd.read_csv(RAW, dtype={"ccg_code": str})
    engine = memory_store()
    load_dataset(engine, read_published(RAW).to_dataset())
    back = read_table(engine, "infections")
    assert len(back) == len(raw) == 714
    assert back["cases"].sum() == raw["total_cases"].sum() == 901
    assert back["org_code"].nunique() == 193 and set(back["apportionment"]) == {"population"}
    assert len(read_table(engine, "organisations")) == 193
