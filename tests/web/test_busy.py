"""A result that takes longer than the limit is answered 503 with Retry-After, computed on in
the background, and served from the cache when asked again; results are cached per database
state."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient


def test_slow_result_is_503_then_served(site):
    from nhs_oversight.web import create_app

    with TestClient(create_app(str(site.db), warm=False, compute_limit=0.01)) as client:
        headers = site.headers("analyst")
        url = "/api/governance?quarter=2011-12-Q2&set=cdiff_de_minimis=3"
        first = client.get(url, headers=headers)
        assert first.status_code == 503, first.text
        assert int(first.headers["retry-after"]) >= 1
        assert "try again" in first.json()["detail"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = client.get(url, headers=headers)
            if response.status_code == 200:
                break
            time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["what_if"] == {"cdiff_de_minimis": 3}


def test_cache_follows_the_database_state(site, client):
    from nhs_oversight.store import data_version, open_store

    headers = site.headers("analyst")
    client.get("/api/rates?year=2012-13", headers=headers)
    cache = client.app.state.cache
    before = data_version(open_store(str(site.db)))
    assert any(key[0] == before for key in list(cache._data))
    body = {"org_code": "R0C", "quarter": "2011-12-Q4", "action": "accept", "reason": "cache check"}
    assert client.post("/api/decisions", json=body, headers=headers).status_code == 201
    assert data_version(open_store(str(site.db))) == before + 1
    assert all(key[0] != before for key in list(cache._data))
