"""Browser sign-in: a form with a CSRF token, a HttpOnly SameSite=Lax session cookie, rate-limited
failures, and sign-out."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import run_cli


def _app(site):
    from nhs_oversight.web import create_app

    return create_app(str(site.db), warm=False, compute_limit=60)


def _form(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200 and "<form" in page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _password(site, name: str, role: str = "analyst") -> str:
    out = run_cli("users", "add", name, "--role", role, "--db", str(site.db))
    return out.strip().splitlines()[-1].split(": ", 1)[1]


def test_sign_in_sets_a_session_cookie_and_sign_out_ends_it(site):
    password = _password(site, "browser-ann")
    with TestClient(_app(site), base_url="http://127.0.0.1") as client:
        csrf = _form(client)
        response = client.post(
            "/login", data={"name": "browser-ann", "password": password, "csrf_token": csrf}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        cookie = response.headers["set-cookie"]
        assert (
            "oversight_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
        )
        assert password not in cookie
        me = client.get("/api/me")
        assert me.json() == {"name": "browser-ann", "role": "analyst", "org": None}
        # a signed-in browser writing through the API must send the session's CSRF token
        body = {"org_code": "R0C", "quarter": "2012-13-Q4", "action": "accept", "reason": "x"}
        assert client.post("/api/decisions", json=body).status_code == 403
        page = client.get("/logout")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        assert client.post("/api/decisions", json=body, headers={"X-CSRF-Token": token}).status_code == 201
        assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert client.get("/api/me").status_code == 401


def test_a_login_without_the_form_token_is_refused(site):
    password = _password(site, "browser-vic", "viewer")
    with TestClient(_app(site)) as client:
        response = client.post("/login", data={"name": "browser-vic", "password": password}, follow_redirects=False)
        assert response.status_code == 403
        assert "oversight_session" not in response.headers.get("set-cookie", "")


def test_failed_sign_ins_are_rate_limited(site):
    password = _password(site, "browser-tim", "viewer")
    with TestClient(_app(site)) as client:
        for _ in range(5):
            csrf = _form(client)
            response = client.post("/login", data={"name": "browser-tim", "password": "wrong", "csrf_token": csrf})
            assert response.status_code == 401
        csrf = _form(client)
        response = client.post("/login", data={"name": "browser-tim", "password": password, "csrf_token": csrf})
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        assert password not in response.text


def test_the_form_page_is_plain(site):
    with TestClient(_app(site)) as client:
        page = client.get("/login")
        assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]
