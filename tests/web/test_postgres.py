"""The server on PostgreSQL: users, roles, the same rows as on SQLite, decisions."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import OWN, run_cli


def test_serve_a_postgresql_database(site, client, pg_url, tmp_path):
    from nhs_oversight.web import create_app

    folder = tmp_path / "demo"
    run_cli("demo-data", str(folder))
    run_cli("import", str(folder), "--db", pg_url)
    run_cli("users", "add", "pg-ann", "--role", "analyst", "--db", pg_url)
    run_cli("users", "add", "pg-tess", "--role", "trust", "--org", OWN, "--db", pg_url)
    analyst = {"Authorization": "Bearer " + run_cli("users", "token", "pg-ann", "--db", pg_url).split()[-1]}
    trust = {"Authorization": "Bearer " + run_cli("users", "token", "pg-tess", "--db", pg_url).split()[-1]}
    with TestClient(create_app(pg_url, warm=False, compute_limit=60)) as pg:
        url = "/api/rates?year=2011-12&format=csv"
        assert pg.get(url, headers=analyst).content == client.get(url, headers=site.headers("analyst")).content
        rows = pg.get("/api/governance?quarter=2011-12-Q4", headers=trust).json()["rows"]
        assert [r["org_code"] for r in rows] == [OWN]
        body = {"org_code": OWN, "quarter": "2011-12-Q4", "action": "accept", "reason": "on PostgreSQL"}
        assert pg.post("/api/decisions", json=body, headers=trust).status_code == 403
        stored = pg.post("/api/decisions", json=body, headers=analyst)
        assert stored.status_code == 201, stored.text
        history = pg.get(f"/api/history/{OWN}", headers=trust).json()
        assert any(d["reason"] == "on PostgreSQL" and d["decided_by"] == "pg-ann" for d in history["decisions"])
        assert "postgresql" not in pg.get("/api/health").text
