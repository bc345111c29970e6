"""The API's documents, as pydantic models (for the OpenAPI document and request bodies)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Health",
    "Me",
    "Table",
    "HistoryTable",
    "Profile",
    "TraceDoc",
    "RulebookDoc",
    "DecisionIn",
    "DecisionOut",
    "ErrorDoc",
]


class ErrorDoc(BaseModel):
    detail: str = Field(description="What is wrong, naming the parameter (`year: ...`).")


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Me(BaseModel):
    name: str | None = Field(description="The user's name (null for an anonymous reader of a --public server).")
    role: Literal["analyst", "viewer", "trust", "anonymous"]
    org: str | None = Field(description="A trust user's organisation code.")


class Table(BaseModel):
    """A table route's answer: rows with exactly the columns of the command's ``--out`` file."""

    columns: list[str]
    rows: list[dict[str, Any]]
    rulebook: str = Field(description="The rulebook id, with any what-if settings.")
    what_if: dict[str, Any] = Field(description="The what-if settings (`set=name=value`, and options that set values).")
    assumed: list[str] = Field(description="The assumed or what-if rulebook values the rows rest on.")


class HistoryTable(Table):
    decisions: list[dict[str, Any]] = Field(
        default_factory=list, description="The organisation's decisions (the audit log), oldest first."
    )


class Profile(BaseModel):
    organisation: dict[str, Any] = Field(description="org_code, name, kind, region.")
    rates: list[dict[str, Any]] = Field(description="Cases and rates by year and organism (rows of /api/rates).")
    governance: dict[str, Any] | None = Field(None, description="The latest quarter rated: {quarter, rows}.")
    objectives: dict[str, Any] | None = Field(None, description="The latest objectives by organism: {year, rows}.")
    finance: dict[str, Any] | None = Field(None, description="The latest financial rating: {period, rows}.")


class TraceDoc(BaseModel):
    """``oversight explain --json``: every step, input, value and source."""

    subject: str
    period: str
    regime: str
    rulebook: str | None
    what_if: dict[str, Any]
    steps: list[dict[str, Any]]
    result: Any = None
    values_used: list[dict[str, Any]]
    assumptions: list[str]


class RulebookDoc(BaseModel):
    """``oversight rulebooks show ID --json``."""

    model_config = ConfigDict(extra="allow")
    id: str
    regime: str


class DecisionIn(BaseModel):
    """An analyst's decision on a calculated governance rating."""

    model_config = ConfigDict(extra="forbid")
    org_code: str = Field(min_length=1, max_length=10, examples=["RTH"])
    quarter: str = Field(min_length=1, max_length=10, examples=["2012-13-Q4"])
    action: Literal["accept", "hold", "escalate"] | None = Field(
        None, description="Default: accept when no rating is named or it is the calculated one, else hold."
    )
    rating: Literal["green", "amber_green", "amber_red", "red"] | None = None
    reason: str = Field(min_length=1, max_length=4000)


class DecisionOut(BaseModel):
    id: int
    org_code: str
    quarter: str
    action: str
    published_rating: str
    calculated_rating: str
    calculated_score: float
    rulebook: str
    reason: str
    decided_by: str
    decided_at: str | None = None
