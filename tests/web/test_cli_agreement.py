"""The API and the command line never disagree: a route's CSV has the bytes of the command's
``--out x.csv`` for the same arguments, and its JSON rows the same columns and values."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from .conftest import OWN, run_cli

CASES = [
    ("/api/rates?year=2012-13", ["rates", "--year", "2012-13"]),
    (
        "/api/rates?year=2011-12&organism=mrsa&kind=trust",
        ["rates", "--year", "2011-12", "--organism", "mrsa", "--kind", "trust"],
    ),
    (
        "/api/rates?year=2012-13&set=interval_level=0.998",
        ["rates", "--year", "2012-13", "--set", "interval_level=0.998"],
    ),
    ("/api/objectives/mrsa?year=2012-13", ["objectives", "mrsa", "--year", "2012-13"]),
    (
        "/api/objectives/cdiff?year=2012-13&reduction=0.2&method=median-quartile",
        ["objectives", "cdiff", "--year", "2012-13", "--reduction", "0.2", "--method", "median-quartile"],
    ),
    ("/api/monitor?quarter=2012-13-Q2&organism=cdiff", ["monitor", "--quarter", "2012-13-Q2", "--organism", "cdiff"]),
    ("/api/governance?quarter=2012-13-Q4", ["governance", "--quarter", "2012-13-Q4"]),
    (
        "/api/governance?quarter=2012-13-Q4&set=cdiff_de_minimis=0",
        ["governance", "--quarter", "2012-13-Q4", "--set", "cdiff_de_minimis=0"],
    ),
    (f"/api/history/{OWN}", ["history", OWN]),
    ("/api/finance?period=2012-13", ["finance", "--period", "2012-13"]),
    (
        "/api/finance?period=2012-13&rulebook=monitor-licence-consultation-2012",
        ["finance", "--period", "2012-13", "--rulebook", "monitor-licence-consultation-2012"],
    ),
    ("/api/chance?year=2012-13&quarter=2012-13-Q2", ["chance", "--year", "2012-13", "--quarter", "2012-13-Q2"]),
    ("/api/chance?year=2012-13&kind=pct", ["chance", "--year", "2012-13", "--kind", "pct"]),
    (f"/api/spc/{OWN}", ["spc", OWN]),
    (
        f"/api/spc/{OWN}?organism=mrsa&chart=c&from=2010-04&to=2013-03",
        ["spc", OWN, "--organism", "mrsa", "--chart", "c", "--from", "2010-04", "--to", "2013-03"],
    ),
    (
        "/api/compare?a=monitor-compliance-2012-13&b=monitor-compliance-2012-13&year=2012-13&set_b=cdiff_de_minimis=0",
        [
            "compare",
            "monitor-compliance-2012-13",
            "monitor-compliance-2012-13",
            "--year",
            "2012-13",
            "--set-b",
            "cdiff_de_minimis=0",
        ],
    ),
    (
        "/api/funnel?year=2012-13&organism=mrsa&overdispersion=winsorised",
        ["funnel", "--year", "2012-13", "--organism", "mrsa", "--overdispersion", "winsorised"],
    ),
]


@pytest.mark.parametrize(("url", "command"), CASES, ids=[u for u, _ in CASES])
def test_api_rows_equal_the_command_out_file(site, client, tmp_path, url, command):
    out = tmp_path / "out.csv"
    run_cli(*command, "--db", str(site.db), "--out", str(out))
    expected = out.read_bytes()
    headers = site.headers("analyst")
    sep = "&" if "?" in url else "?"
    response = client.get(f"{url}{sep}format=csv", headers=headers)
    assert response.status_code == 200, response.text
    assert response.content == expected
    document = client.get(url, headers=headers).json()
    frame = pd.read_csv(io.BytesIO(expected), keep_default_na=False, na_values=[""])
    assert document["columns"] == list(frame.columns)
    assert len(document["rows"]) == len(frame)
    for row, (_, want) in zip(document["rows"], frame.iterrows()):
        for column in frame.columns:
            assert _same(row[column], want[column]), (column, row[column], want[column])


def _same(got: object, want: object) -> bool:
    if got is None or got == "":  # a CSV cell cannot tell an empty text from no value
        return isinstance(want, float) and math.isnan(want) or want == ""
    if isinstance(got, bool):
        return str(got) == str(want)
    if isinstance(got, (int, float)) and not isinstance(want, str):
        return float(got) == float(want)  # every digit: the JSON keeps what the CSV keeps
    return str(got) == str(want)


def test_what_if_is_echoed(site, client):
    document = client.get(
        "/api/governance?quarter=2012-13-Q4&set=cdiff_de_minimis=0&set=mrsa_de_minimis=3",
        headers=site.headers("viewer"),
    ).json()
    assert document["what_if"] == {"cdiff_de_minimis": 0, "mrsa_de_minimis": 3}
    assert "what-if" in document["rulebook"]
    plain = client.get("/api/governance?quarter=2012-13-Q4", headers=site.headers("viewer")).json()
    assert plain["what_if"] == {} and plain["rulebook"] == "monitor-compliance-2012-13"


def test_explain_is_the_command_json(site, client):
    import json

    text = run_cli("explain", OWN, "--period", "2012-13", "--regime", "mrsa-objective", "--json", "--db", str(site.db))
    api = client.get(f"/api/explain/{OWN}?period=2012-13&regime=mrsa-objective", headers=site.headers("trust")).json()
    assert api == json.loads(text)


def test_rulebook_is_the_command_json(client, site):
    import json

    text = run_cli("rulebooks", "show", "monitor-compliance-2012-13", "--set", "cdiff_de_minimis=6", "--json")
    api = client.get(
        "/api/rulebooks/monitor-compliance-2012-13?set=cdiff_de_minimis=6", headers=site.headers("viewer")
    ).json()
    assert api == json.loads(text)
