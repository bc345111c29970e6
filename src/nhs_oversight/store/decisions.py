"""The analysts' decisions on governance ratings: an append-only audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select

from .engine import bump_data_version, write_transaction
from .tables import decisions

__all__ = ["ACTIONS", "Decision", "record_decision", "read_decisions"]

#: accept the calculated rating; hold at a named rating; escalate (publish and refer on).
ACTIONS = ("accept", "hold", "escalate")


@dataclass(frozen=True)
class Decision:
    """One analyst's decision on one trust's quarter."""

    org_code: str
    quarter: str
    action: str
    published_rating: str
    calculated_rating: str
    calculated_score: float
    rulebook: str
    reason: str
    decided_by: str


def record_decision(
    engine: Engine,
    decision: Decision,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> int:
    """Append a decision to the log (one transaction, holding the write lock, raising the
    database's ``data_version``) and return its id."""
    if decision.action not in ACTIONS:
        raise ValueError(f"unknown action {decision.action!r}; expected one of {', '.join(ACTIONS)}")
    if not decision.reason.strip() or not decision.decided_by.strip():
        raise ValueError("a decision needs a reason and the name of who made it")
    with write_transaction(engine) as conn:
        result = conn.execute(decisions.insert().values(**decision.__dict__, decided_at=clock()))
        key = result.inserted_primary_key
        assert key is not None
        bump_data_version(conn)
        return int(key[0])


def read_decisions(engine: Engine, org_code: str | None = None, quarter: str | None = None) -> pd.DataFrame:
    """Decisions in the order they were made (latest last)."""
    stmt = select(decisions).order_by(decisions.c.id)
    if org_code is not None:
        stmt = stmt.where(decisions.c.org_code == org_code)
    if quarter is not None:
        stmt = stmt.where(decisions.c.quarter == quarter)
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn)
