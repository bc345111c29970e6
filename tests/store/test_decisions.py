"""The decision log is append-only, enforced by the database itself, on either backend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from nhs_oversight.store import data_version, open_store
from nhs_oversight.store.decisions import Decision, read_decisions, record_decision

FIXED = lambda: dt.datetime(2026, 1, 1, 12, 30, tzinfo=dt.UTC)  # noqa: E731


def _decision(org: str = "FT2", action: str = "hold", reason: str = "awaiting the CQC report") -> Decision:
    return Decision(org, "2012-13-Q2", action, "amber_green", "amber_red", 2.5, "monitor-2012-13", reason, "J Analyst")


def test_decisions_are_appended_in_order_and_read_back(engine_url: str) -> None:
    engine = open_store(engine_url, create=True)
    first = record_decision(engine, _decision(), clock=FIXED)
    second = record_decision(engine, _decision("FT3", "accept", "as calculated"), clock=FIXED)
    assert second > first
    log = read_decisions(engine)
    assert list(log["org_code"]) == ["FT2", "FT3"]
    assert list(read_decisions(engine, org_code="FT3")["action"]) == ["accept"]
    assert read_decisions(engine, quarter="2012-13-Q1").empty
    assert log.loc[0, "calculated_score"] == 2.5 and log.loc[0, "reason"] == "awaiting the CQC report"
    assert data_version(engine) == 2


@pytest.mark.parametrize(
    "statement",
    ["UPDATE decisions SET published_rating = 'green'", "DELETE FROM decisions", "DELETE FROM decisions WHERE id = 1"],
)
def test_the_database_refuses_to_change_a_decision(engine_url: str, statement: str) -> None:
    engine = open_store(engine_url, create=True)
    record_decision(engine, _decision(), clock=FIXED)
    with pytest.raises(DBAPIError, match="decisions are append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    log = read_decisions(engine)
    assert len(log) == 1 and log.loc[0, "published_rating"] == "amber_green"
    assert data_version(engine) == 1


def test_a_decision_needs_a_known_action_a_reason_and_a_name(engine_url: str) -> None:
    engine = open_store(engine_url, create=True)
    with pytest.raises(ValueError, match="unknown action 'ignore'"):
        record_decision(engine, _decision(action="ignore"))
    with pytest.raises(ValueError, match="needs a reason"):
        record_decision(engine, _decision(reason="  "))
    assert read_decisions(engine).empty and data_version(engine) == 0
