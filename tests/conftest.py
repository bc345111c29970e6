"""Shared fixtures: an isolated user data directory and small, valid data folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhs_oversight.rulebooks import RulebookLibrary, load_library

pytest_plugins = ["tests.backends"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real user data directory or database."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("OVERSIGHT_DB", raising=False)
    monkeypatch.delenv("OVERSIGHT_RULEBOOKS", raising=False)


@pytest.fixture(scope="session")
def library() -> RulebookLibrary:
    return load_library()


ORGANISATIONS = """code,name,kind,region
RTH,Oxford Radcliffe Hospitals,foundation_trust,South Central
RXX,Small District Hospital,nhs_trust,South West
5QJ,Some Primary Care Trust,pct,South Central
"""

INFECTIONS = """org_code,organism,month,apportionment,cases
RTH,mrsa,2012-04,trust,2
RTH,mrsa,2012-05,trust,1
RTH,mrsa,2012-05,non_trust,4
RTH,cdiff,2012-04,trust,10
RXX,mrsa,2012-06,trust,0
5QJ,mrsa,2012-04,population,5
5QJ,mrsa,2013-01,population,2
"""

DENOMINATORS = """org_code,financial_year,bed_days,population
RTH,2012-13,300000,
RXX,2012-13,80000,
5QJ,2012-13,,400000
"""


def write_folder(folder: Path, **files: str) -> Path:
    """Write a data folder: keyword = table name, value = CSV text (None drops a default)."""
    folder.mkdir(parents=True, exist_ok=True)
    defaults = {"organisations": ORGANISATIONS, "infections": INFECTIONS, "denominators": DENOMINATORS}
    defaults.update(files)
    for name, text in defaults.items():
        if text is not None:
            (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def good_folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "good")


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich folds table cells to the terminal's width; tests read whole cells."""
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture
def governance_folder(tmp_path: Path) -> Path:
    """The hand-computed governance case of ``tests/governance_case.py`` as a data folder."""
    from . import governance_case as case

    return write_folder(
        tmp_path / "gov",
        organisations=case.ORGS,
        infections=case.INFECTIONS,
        denominators=None,
        objectives=case.OBJECTIVES,
        indicators=case.INDICATORS,
        events=case.EVENTS,
    )
