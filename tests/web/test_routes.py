"""Every /api route goes through the one gate, is documented, and every response carries the
security headers; bad parameters are refused naming the parameter."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from nhs_oversight.web.auth import authorise

from .conftest import OWN
from .routes import ROUTES

WEB_MD_ROUTES = {
    ("get", "/api/health"),
    ("get", "/api/me"),
    ("get", "/api/organisations"),
    ("get", "/api/organisations/{code}"),
    ("get", "/api/rates"),
    ("get", "/api/objectives/{organism}"),
    ("get", "/api/monitor"),
    ("get", "/api/governance"),
    ("get", "/api/history/{code}"),
    ("get", "/api/finance"),
    ("get", "/api/chance"),
    ("get", "/api/compare"),
    ("get", "/api/funnel"),
    ("get", "/api/spc/{code}"),
    ("get", "/api/explain/{code}"),
    ("get", "/api/rulebooks"),
    ("get", "/api/rulebooks/{rulebook_id}"),
    ("get", "/api/decisions"),
    ("post", "/api/decisions"),
}


def _walk(routes):
    """Every route, with included routers opened (FastAPI keeps them as they were declared)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes)
        else:
            yield route


def test_every_api_route_goes_through_the_gate(client):
    everything = list(_walk(client.app.routes))
    routes = [r for r in everything if isinstance(r, APIRoute) and r.path.startswith("/api")]
    assert len(routes) >= len(WEB_MD_ROUTES)
    for route in routes:
        calls = [d.call for d in route.dependant.dependencies]
        assert authorise in calls, f"{route.path} does not depend on authorise"
    outside = [
        getattr(r, "path", "")
        for r in everything
        if getattr(r, "path", "").startswith("/api") and not isinstance(r, APIRoute)
    ]
    assert not outside, f"routes under /api outside the gate: {outside}"


def test_the_openapi_document_describes_every_route(client):
    document = client.get("/api/openapi.json").json()
    found = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert WEB_MD_ROUTES <= found
    for method, path in WEB_MD_ROUTES:
        operation = document["paths"][path][method]
        ok = operation["responses"]["201" if method == "post" else "200"]
        assert "$ref" in str(ok["content"]["application/json"]["schema"]), (method, path)
    params = {p["name"] for p in document["paths"]["/api/governance"]["get"]["parameters"]}
    assert {"quarter", "rulebook", "set", "format"} <= params
    spc = {p["name"] for p in document["paths"]["/api/spc/{code}"]["get"]["parameters"]}
    assert {"organism", "from", "to"} <= spc


def test_docs_load_nothing_from_another_host(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources)
    assert "<script>" not in page.text  # no inline script (the CSP forbids it)
    for source in sources:
        assert client.get(source).status_code == 200, source


@pytest.mark.parametrize("url", ["/api/health", "/api/rates?year=2012-13", "/api/docs", "/login", "/api/nothing", "/"])
def test_security_headers_on_every_response(client, url):
    response = client.get(url)
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


def test_health_holds_no_secret_nor_the_database(site, client):
    response = client.get("/api/health")
    assert response.json()["status"] == "ok" and response.json()["version"]
    assert str(site.db) not in response.text and "sqlite" not in response.text


@pytest.mark.parametrize(
    ("url", "status", "param"),
    [
        ("/api/rates", 422, "year"),
        ("/api/rates?year=2012-14", 422, "year"),
        ("/api/rates?year=2012-13&organism=ecoli", 422, "organism"),
        ("/api/rates?year=2012-13&kind=hospital", 422, "kind"),
        ("/api/rates?year=2012-13&format=xml", 422, "format"),
        ("/api/rates?year=1999-00", 404, None),
        ("/api/governance?quarter=2012-13", 422, "quarter"),
        ("/api/governance?quarter=2012-13-Q4&set=nonsense", 422, "set"),
        ("/api/governance?quarter=2012-13-Q4&set=no_such_value=1", 422, "set"),
        ("/api/governance?quarter=2012-13-Q4&rulebook=/etc/passwd", 404, "rulebook"),
        ("/api/governance?quarter=2012-13-Q4&rulebook=mrsa-objective-2010-11", 422, "rulebook"),
        ("/api/governance?quarter=2030-31-Q1", 404, None),
        ("/api/objectives/ecoli?year=2012-13", 422, "organism"),
        ("/api/objectives/cdiff?year=2012-13&reduction=2", 422, "reduction"),
        ("/api/objectives/cdiff?year=2012-13&method=random", 422, "method"),
        ("/api/funnel?year=2012-13&overdispersion=lots", 422, "overdispersion"),
        ("/api/chance?year=2012-13&quarter=2011-12-Q1", 422, "quarter"),
        ("/api/compare?a=nope&b=monitor-compliance-2012-13&year=2012-13", 404, "a"),
        ("/api/compare?b=monitor-compliance-2012-13&year=2012-13", 422, "a"),
        ("/api/explain/ZZ9?period=2012-13", 404, None),
        (f"/api/explain/{OWN}?period=2012-13&regime=monitor", 422, "period"),
        (f"/api/explain/{OWN}?period=soon", 422, "period"),
        ("/api/history/ZZ9", 404, None),
        ("/api/organisations/ZZ9", 404, None),
        ("/api/rulebooks/no-such-rulebook", 404, None),
        ("/api/finance?period=2012-13&rulebook=nope", 404, "rulebook"),
        ("/api/decisions?quarter=Q5", 422, "quarter"),
        (f"/api/spc/{OWN}?from=2012-13", 422, "from"),
        (f"/api/spc/{OWN}?chart=pie", 422, "chart"),
        ("/api/spc/ZZ9", 404, None),
        ("/api/chance?year=2012-13&kind=ward", 422, "kind"),
    ],
)
def test_bad_parameters(site, client, url, status, param):
    response = client.get(url, headers=site.headers("analyst"))
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    if param is not None:
        assert detail.startswith(f"{param}:") or f"{param}:" in detail, detail


def test_csv_of_a_table_route(site, client):
    response = client.get("/api/governance?quarter=2012-13-Q4&format=csv", headers=site.headers("analyst"))
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("org_code,quarter,score,rating")


def test_every_table_route_answers_csv(site, client):
    for method, url, _ in ROUTES:
        if method != "GET" or any(
            s in url for s in ("/health", "/me", "/organisations/", "/explain/", "/rulebooks/", "/spc/")
        ):
            continue
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}format=csv", headers=site.headers("viewer"))
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/csv"), url
