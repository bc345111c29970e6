"""Two imports at once into the same new database, from two real processes: they take
turns (the write lock), nothing is lost, neither fails."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from nhs_oversight.demo.generate import generate_demo
from nhs_oversight.inputs import read_data_folder
from nhs_oversight.store import import_log, load_dataset, memory_store, open_store, read_table
from nhs_oversight.store.tables import DATA_TABLES

#: One import, as `oversight import` does it: read and validate, then open (creating) and load.
#: It waits for the `go` file after validating, so that both processes open the new database
#: and write at the same moment.
IMPORTER = """
import sys, time
from pathlib import Path
from nhs_oversight.inputs import read_data_folder
from nhs_oversight.rulebooks import load_library
from nhs_oversight.store import load_dataset, open_store
url, folder, ready, go = sys.argv[1:5]
data = read_data_folder(Path(folder), load_library())
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.001)
summary = load_dataset(open_store(url, create=True), data)
print(summary.total_inserted, summary.total_updated)
"""


@pytest.fixture(scope="module")
def national_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's national-size data folder (some 66,000 infection rows): an import long
    enough for two to overlap."""
    folder = tmp_path_factory.mktemp("national")
    generate_demo(folder)
    return folder


def _same_data(engine, other) -> None:
    for name, table in DATA_TABLES.items():
        key = [c.name for c in table.primary_key.columns]
        ours, theirs = (read_table(e, name).sort_values(key).reset_index(drop=True) for e in (engine, other))
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


def test_two_imports_at_once_take_turns(engine_url: str, national_folder: Path, tmp_path: Path, library) -> None:
    go = tmp_path / "go"
    ready = [tmp_path / "ready-1", tmp_path / "ready-2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORTER, engine_url, str(national_folder), str(r), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for r in ready
    ]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.touch()
    outcomes = [p.communicate(timeout=180) for p in procs]
    for proc, (_, err) in zip(procs, outcomes):
        assert proc.returncode == 0 and "Traceback" not in err, err
    counts = sorted(tuple(int(n) for n in out.split()) for out, _ in outcomes)

    single = memory_store()
    expected = load_dataset(single, read_data_folder(national_folder, library))
    # one import wrote everything; the other, waiting its turn, found it all there already
    assert counts == [(0, 0), (expected.total_inserted, 0)]
    engine = open_store(engine_url)
    _same_data(engine, single)
    log = import_log(engine)
    assert log["import_id"].nunique() == 2
    assert sorted(log.groupby("import_id")["file"].count()) == [len(expected.inserted)] * 2


def test_a_writer_kept_waiting_too_long_is_told_so(engine_url: str, good_folder: Path, library, monkeypatch) -> None:
    from nhs_oversight.store import StoreError, data_version
    from nhs_oversight.store import engine as engine_module

    holder = open_store(engine_url, create=True)
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT", 0.2)
    waiter = open_store(engine_url)
    data = read_data_folder(good_folder, library)
    with engine_module.write_transaction(holder):
        with pytest.raises(StoreError) as refused:
            load_dataset(waiter, data)
    assert str(refused.value).endswith(
        "is busy: another import or decision has held it for more than 0.2 s; try again when it has finished"
    )
    assert import_log(waiter).empty and data_version(waiter) == 0
    load_dataset(waiter, data)  # the lock released, the writer gets its turn
    assert data_version(waiter) == 1
