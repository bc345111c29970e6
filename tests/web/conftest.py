"""The web tests' database: the national demo data folder imported once per session into a
SQLite file, with one user of each role and their API tokens."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

warnings.filterwarnings("ignore", message="Using `httpx`")

from fastapi.testclient import TestClient  # noqa: E402

from nhs_oversight.cli import app as cli  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx`")


#: The trust user's organisation, and another trust it must never see.
OWN = "R0C"


@dataclass(frozen=True)
class Site:
    """The test database and its users' tokens by role."""

    db: Path
    tokens: dict[str, str]
    other_codes: frozenset[str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens else {}


def run_cli(*args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), input=input)
    assert result.exit_code == 0, (args, result.output)
    return result.output


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    import pandas as pd

    root = tmp_path_factory.mktemp("web")
    folder, db = root / "demo", root / "web.sqlite"
    run_cli("demo-data", str(folder))
    run_cli("import", str(folder), "--db", str(db))
    tokens = {}
    for name, role, org in (("ann", "analyst", None), ("vic", "viewer", None), ("tess", "trust", OWN)):
        run_cli("users", "add", name, "--role", role, *(("--org", org) if org else ()), "--db", str(db))
        tokens[role] = run_cli("users", "token", name, "--db", str(db)).strip().splitlines()[-1]
    codes = set(pd.read_csv(folder / "organisations.csv")["code"]) - {OWN}
    return Site(db, tokens, frozenset(codes))


@pytest.fixture(scope="session")
def client(site: Site) -> Iterator[TestClient]:
    from nhs_oversight.web import create_app

    with TestClient(create_app(str(site.db), warm=False, compute_limit=60)) as c:
        yield c


@pytest.fixture(scope="session")
def public_client(site: Site) -> Iterator[TestClient]:
    from nhs_oversight.web import create_app

    with TestClient(create_app(str(site.db), public=True, warm=False, compute_limit=60)) as c:
        yield c
