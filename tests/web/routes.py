"""Every route of WEB.md with arguments that have data in the demo database, and its access level."""

from __future__ import annotations

from .conftest import OWN

OTHER = "RTH"  # replaced by a real other trust in the tests that need one; any code but OWN
QUARTER = "2012-13-Q4"
YEAR = "2012-13"

#: (method, url, level): open = no sign-in; published = signed in, or anonymous on a --public
#: server; signed_in = analyst, viewer or trust; analyst = analysts only.
ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/api/health", "open"),
    ("GET", "/api/me", "published"),
    ("GET", "/api/organisations", "published"),
    ("GET", f"/api/organisations/{OWN}", "published"),
    ("GET", f"/api/rates?year={YEAR}", "published"),
    ("GET", f"/api/rates?year={YEAR}&format=csv", "published"),
    ("GET", f"/api/objectives/mrsa?year={YEAR}", "signed_in"),
    ("GET", f"/api/objectives/cdiff?year={YEAR}&format=csv", "signed_in"),
    ("GET", f"/api/monitor?quarter={QUARTER}", "signed_in"),
    ("GET", f"/api/governance?quarter={QUARTER}", "published"),
    ("GET", f"/api/governance?quarter={QUARTER}&format=csv", "published"),
    ("GET", f"/api/history/{OWN}", "published"),
    ("GET", f"/api/finance?period={YEAR}", "signed_in"),
    ("GET", f"/api/chance?year={YEAR}", "signed_in"),
    ("GET", f"/api/chance?year={YEAR}&kind=pct&format=csv", "signed_in"),
    ("GET", f"/api/compare?a=monitor-compliance-2012-13&b=monitor-compliance-2012-13-poisson&year={YEAR}", "signed_in"),
    ("GET", f"/api/funnel?year={YEAR}", "signed_in"),
    ("GET", f"/api/spc/{OWN}", "signed_in"),
    ("GET", f"/api/spc/{OWN}?organism=mrsa&chart=t&format=csv", "signed_in"),
    ("GET", f"/api/explain/{OWN}?period={QUARTER}", "signed_in"),
    ("GET", "/api/rulebooks", "signed_in"),
    ("GET", "/api/rulebooks/monitor-compliance-2012-13", "signed_in"),
    ("GET", "/api/decisions", "signed_in"),
    ("POST", "/api/decisions", "analyst"),
]

DECISION = {"org_code": OWN, "quarter": QUARTER, "action": "accept", "reason": "Confirmed at the quarterly review"}

ROLES = ("analyst", "viewer", "trust", "anonymous", "anonymous-public")


def expected(level: str, role: str) -> int:
    """The status WEB.md gives a role for a route of this level."""
    if level == "open":
        return 200
    if role == "anonymous":
        return 401
    if level == "analyst":
        return 201 if role == "analyst" else 403
    if role == "anonymous-public":
        return 200 if level == "published" else 401
    return 200
