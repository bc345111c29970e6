"""Organisations: the list, and one organisation's profile (identity, counts and rates by year,
latest objectives and ratings), for the API and the dashboard.

The profile is built from the other use cases' results, filtered to the organisation, so it
never disagrees with them. ``use`` lets a caller supply those results (the server passes its
cache); by default the use cases are run directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ..errors import OversightError
from ..periods import FinancialYear, Quarter
from ..rulebooks import RulebookLibrary
from . import usecases
from .data import held_years, require_organisation
from .results import Result

__all__ = ["organisations", "organisation_profile", "UseCase"]

#: ``use(name, **arguments)`` → the Result of ``usecases.<name>(engine, library, **arguments)``.
UseCase = Callable[..., Result]


def organisations(engine: Engine, library: RulebookLibrary, *, kind: str | None = None) -> Result:
    """Every organisation: ``org_code``, ``name``, ``kind``, ``region`` (``kind`` = trust or pct
    keeps that group)."""
    from ..store import read_table
    from .objectives import KIND_GROUPS

    if kind is not None and kind not in KIND_GROUPS:
        from ..errors import UsageError

        raise UsageError(f"{kind!r} is not one of {', '.join(KIND_GROUPS)}", param="kind")
    frame = read_table(engine, "organisations").rename(columns={"code": "org_code"})
    if kind is not None:
        frame = frame[frame["kind"].isin(KIND_GROUPS[kind])]
    frame = frame.sort_values("org_code").reset_index(drop=True)
    return Result(frame, "Organisations", "organisations", display=["org_code", "name", "kind", "region"])


def _direct(engine: Engine, library: RulebookLibrary) -> UseCase:
    def use(name: str, **arguments: Any) -> Result:
        return getattr(usecases, name)(engine, library, **arguments)  # type: ignore[no-any-return]

    return use


def _rows(result: Result, code: str) -> list[dict[str, Any]]:
    from .results import Result as R

    table = result.table
    if "org_code" in table.columns:
        table = table[table["org_code"] == code]
    return R(table.reset_index(drop=True), result.title, result.command).rows()


def organisation_profile(
    engine: Engine,
    library: RulebookLibrary,
    code: str,
    *,
    use: UseCase | None = None,
    published_only: bool = False,
) -> dict[str, Any]:
    """One organisation's profile.

    Returns
    -------
    dict
        ``organisation`` (code, name, kind, region); ``rates`` (cases and rates by year and
        organism, every year held); ``objectives`` (the latest year's MRSA and C. difficile
        objectives); ``governance`` (the latest quarter rated: calculated and published rating);
        ``finance`` (the latest financial rating). With ``published_only`` the calculated
        figures (objectives, calculated ratings, finance) are left out.

    Raises
    ------
    NotFound
        An unknown organisation.
    """
    from ..store import read_table

    code = require_organisation(engine, code)
    use = use or _direct(engine, library)
    org = read_table(engine, "organisations", code=code).iloc[0]
    profile: dict[str, Any] = {
        "organisation": {
            "org_code": code,
            "name": org["name"],
            "kind": org["kind"],
            "region": None if pd.isna(org.get("region")) else org.get("region"),
        }
    }
    years = held_years(engine)
    rates: list[dict[str, Any]] = []
    for year in years:
        try:
            rates.extend(_rows(use("rates", year=year), code))
        except OversightError:
            continue
    profile["rates"] = rates
    profile["governance"] = _latest_governance(use, years, code, published_only)
    if not published_only:
        profile["objectives"] = _latest_objectives(use, years, code)
        profile["finance"] = _latest(use, "finance", [("period", y) for y in reversed(years)], code)
    return profile


def _latest(use: UseCase, name: str, tries: list[tuple[str, Any]], code: str) -> dict[str, Any] | None:
    for param, value in tries:
        try:
            rows = _rows(use(name, **{param: value}), code)
        except OversightError:
            continue
        if rows:
            return {param: str(value), "rows": rows}
    return None


def _latest_objectives(use: UseCase, years: list[FinancialYear], code: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for organism in usecases.ORGANISMS:
        for year in reversed(years):
            try:
                rows = _rows(use("objectives", organism=organism, year=year), code)
            except OversightError:
                continue
            if rows:
                found[organism] = {"year": str(year), "rows": rows}
                break
    return found


def _latest_governance(
    use: UseCase, years: list[FinancialYear], code: str, published_only: bool
) -> dict[str, Any] | None:
    quarters = [Quarter(y, q) for y in reversed(years) for q in (4, 3, 2, 1)]
    found = _latest(use, "governance", [("quarter", q) for q in quarters], code)
    if found is not None and published_only:
        keep = ("org_code", "quarter", "published_rating", "kind")
        found["rows"] = [{k: v for k, v in row.items() if k in keep} for row in found["rows"]]
    return found
