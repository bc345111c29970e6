"""Decisions through the API: analysts only, the signed-in user is the decider, the same
append-only log as `oversight decide`, and the published rating follows at once."""

from __future__ import annotations

import pytest

from .conftest import run_cli

QUARTER = "2012-13-Q3"


def _pending(client, headers) -> dict:
    rows = client.get(f"/api/governance?quarter={QUARTER}", headers=headers).json()["rows"]
    pending = [r for r in rows if r["pending"]]
    assert pending, "the demo has downgrades awaiting a decision"
    return pending[0]


def test_a_decision_round_trips(site, client):
    analyst = site.headers("analyst")
    row = _pending(client, analyst)
    code, calculated = row["org_code"], row["rating"]
    assert row["published_rating"] != calculated
    before = client.get(f"/api/history/{code}", headers=analyst).json()
    response = client.post(
        "/api/decisions",
        json={"org_code": code.lower(), "quarter": QUARTER, "action": "accept", "reason": "Confirmed  at review"},
        headers=analyst,
    )
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["decided_by"] == "ann" and stored["org_code"] == code and stored["action"] == "accept"
    assert stored["published_rating"] == calculated and stored["reason"] == "Confirmed at review"
    assert stored["decided_at"]
    # the published rating follows at once
    after = {r["org_code"]: r for r in client.get(f"/api/governance?quarter={QUARTER}", headers=analyst).json()["rows"]}
    assert after[code]["published_rating"] == calculated and not after[code]["pending"]
    history = client.get(f"/api/history/{code}", headers=analyst).json()
    assert history != before
    quarter_row = next(r for r in history["rows"] if r["quarter"] == QUARTER)
    assert quarter_row["published_rating"] == calculated
    assert any(d["id"] == stored["id"] and d["decided_by"] == "ann" for d in history["decisions"])
    log = client.get(f"/api/decisions?org={code}&quarter={QUARTER}", headers=site.headers("viewer")).json()["rows"]
    assert [d["id"] for d in log][-1] == stored["id"]
    # the same log the command line reads
    assert "ann" in run_cli("history", code, "--db", str(site.db))


def test_hold_at_a_rating(site, client):
    analyst = site.headers("analyst")
    rows = client.get(f"/api/governance?quarter={QUARTER}", headers=analyst).json()["rows"]
    row = next(r for r in rows if r["rating"] != "green")
    response = client.post(
        "/api/decisions",
        json={
            "org_code": row["org_code"],
            "quarter": QUARTER,
            "action": "hold",
            "rating": "green",
            "reason": "Data error",
        },
        headers=analyst,
    )
    assert response.status_code == 201, response.text
    after = {r["org_code"]: r for r in client.get(f"/api/governance?quarter={QUARTER}", headers=analyst).json()["rows"]}
    assert after[row["org_code"]]["published_rating"] == "green"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"quarter": QUARTER, "action": "accept", "reason": "x"}, "org_code"),
        ({"org_code": "R0C", "quarter": QUARTER, "action": "accept"}, "reason"),
        ({"org_code": "R0C", "quarter": QUARTER, "action": "accept", "reason": "   "}, "reason"),
        ({"org_code": "R0C", "quarter": "2012-Q9", "action": "accept", "reason": "x"}, "quarter"),
        ({"org_code": "R0C", "quarter": QUARTER, "action": "shrug", "reason": "x"}, "action"),
        ({"org_code": "R0C", "quarter": QUARTER, "rating": "purple", "reason": "x"}, "rating"),
        ({"org_code": "R0C", "quarter": QUARTER, "action": "hold", "reason": "x"}, "rating"),
        ({"org_code": "R0C", "quarter": QUARTER, "action": "accept", "reason": "x", "extra": 1}, "extra"),
    ],
)
def test_an_invalid_decision_is_422_naming_the_field(site, client, body, param):
    response = client.post("/api/decisions", json=body, headers=site.headers("analyst"))
    assert response.status_code == 422, response.text
    assert param in response.json()["detail"]


def test_an_unknown_organisation_is_404(site, client):
    response = client.post(
        "/api/decisions",
        json={"org_code": "ZZ9", "quarter": QUARTER, "action": "accept", "reason": "x"},
        headers=site.headers("analyst"),
    )
    assert response.status_code == 404


def test_only_analysts_decide(site, client, public_client):
    body = {"org_code": "R0C", "quarter": QUARTER, "action": "accept", "reason": "x"}
    before = len(client.get("/api/decisions", headers=site.headers("analyst")).json()["rows"])
    assert client.post("/api/decisions", json=body, headers=site.headers("viewer")).status_code == 403
    assert client.post("/api/decisions", json=body, headers=site.headers("trust")).status_code == 403
    assert public_client.post("/api/decisions", json=body).status_code == 403
    assert client.post("/api/decisions", json=body).status_code == 401
    assert len(client.get("/api/decisions", headers=site.headers("analyst")).json()["rows"]) == before


def test_a_trust_sees_only_its_own_decisions(site, client):
    rows = client.get("/api/decisions", headers=site.headers("trust")).json()["rows"]
    assert {r["org_code"] for r in rows} <= {"R0C"}
