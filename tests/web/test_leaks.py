"""A trust user never receives another organisation's row: not from a list, a table, a CSV,
a profile or a trace (national lines such as ENGLAND are allowed)."""

from __future__ import annotations

import csv
import io
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import OWN

YEARS = ["2011-12", "2012-13"]
QUARTERS = ["2012-13-Q2", "2012-13-Q4"]
ORGANISM = st.sampled_from([None, "mrsa", "cdiff"])
KIND = st.sampled_from([None, "trust", "pct"])
FORMAT = st.sampled_from(["json", "csv"])


def _query(**params: object) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items() if v is not None)


@st.composite
def requests(draw: st.DrawFn) -> str:
    year, quarter = draw(st.sampled_from(YEARS)), draw(st.sampled_from(QUARTERS))
    fmt = draw(FORMAT)
    organism = draw(st.sampled_from(["mrsa", "cdiff"]))
    regime = draw(st.sampled_from(["mrsa-objective", "cdiff-objective", "finance"]))
    choices = [
        f"/api/organisations?{_query(kind=draw(KIND), format=fmt)}",
        f"/api/organisations/{OWN}",
        f"/api/rates?{_query(year=year, organism=draw(ORGANISM), kind=draw(KIND), format=fmt)}",
        f"/api/objectives/{organism}?{_query(year='2012-13', kind=draw(KIND), format=fmt)}",
        f"/api/monitor?{_query(quarter=quarter, organism=draw(ORGANISM), format=fmt)}",
        f"/api/governance?{_query(quarter=quarter, format=fmt)}",
        f"/api/history/{OWN}?format={fmt}",
        f"/api/finance?{_query(period=year, format=fmt)}",
        f"/api/chance?{_query(year='2012-13', format=fmt)}",
        f"/api/funnel?{_query(year=year, organism=organism, format=fmt)}",
        f"/api/compare?a=monitor-compliance-2012-13&b=monitor-compliance-2012-13-poisson&year=2012-13&format={fmt}",
        f"/api/decisions?format={fmt}",
        f"/api/spc/{OWN}?{_query(organism=organism, format=fmt)}",
        f"/api/chance?{_query(year='2012-13', kind=draw(KIND), format=fmt)}",
        f"/api/explain/{OWN}?period={draw(st.sampled_from([*YEARS, *QUARTERS]))}",
        f"/api/explain/{OWN}?period=2012-13&regime={regime}",
        f"/api/explain/{OWN}?period={quarter}&regime=monitor",
    ]
    return draw(st.sampled_from(choices))


def _codes_in(text: str, codes: frozenset[str]) -> set[str]:
    return {token for token in re.findall(r"\b[0-9A-Z]{3,5}\b", text) if token in codes}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=requests())
def test_no_route_leaks_another_organisation_to_a_trust(site, client, url):
    response = client.get(url, headers=site.headers("trust"))
    assert response.status_code == 200, (url, response.text)
    text = response.text
    leaked = _codes_in(text, site.other_codes)
    assert not leaked, f"{url} shows {sorted(leaked)[:5]} to a trust of {OWN}"
    if response.headers["content-type"].startswith("text/csv"):
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and "org_code" in rows[0]:
            assert {r["org_code"] for r in rows} <= {OWN, "ENGLAND"}
    else:
        document = json.loads(text)
        for row in document.get("rows", []):
            assert row.get("org_code", OWN) in (OWN, "ENGLAND")


def test_the_analyst_sees_the_others_so_the_check_can_fail(site, client):
    text = client.get("/api/governance?quarter=2012-13-Q4&format=csv", headers=site.headers("analyst")).text
    assert len(_codes_in(text, site.other_codes)) > 50
    trust = client.get("/api/governance?quarter=2012-13-Q4&format=csv", headers=site.headers("trust")).text
    assert trust.count("\n") == 2 and f"\n{OWN}," in trust


def test_national_line_stays_for_a_trust(site, client):
    rows = client.get("/api/objectives/cdiff?year=2012-13", headers=site.headers("trust")).json()["rows"]
    assert {r["org_code"] for r in rows} == {OWN, "ENGLAND"}
