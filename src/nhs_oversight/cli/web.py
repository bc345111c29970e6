"""``oversight serve`` and ``oversight users add|token|list|remove``."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import NotFound, UsageError
from . import common as c
from .app import OversightTyper, app

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Engine

users_app = OversightTyper(
    prefix="users",
    help="The users of `oversight serve`: analysts, viewers and trusts.\n\n\b\nExamples:\n"
    "  oversight users add alice --role analyst\n  oversight users add rth --role trust --org RTH\n"
    "  oversight users token alice",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

#: The demo's users (only ever created in the demo database).
DEMO_USERS = (("demo-analyst", "analyst"), ("demo-viewer", "viewer"), ("demo-trust", "trust"))


class Role(StrEnum):
    analyst = "analyst"
    trust = "trust"
    viewer = "viewer"


def _users_db(db: str | None) -> Engine:
    from ..store import open_store, resolve_db_url
    from ..store.users import ensure_user_tables

    engine = open_store(resolve_db_url(db))
    ensure_user_tables(engine)
    return engine


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (no spaces).")],
    role: Annotated[Role, typer.Option("--role", help="analyst, trust or viewer.")],
    org: Annotated[str | None, typer.Option("--org", help="A trust user's organisation code.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (one line).")
    ] = False,
    db: c.DbOpt = None,
) -> None:
    """Create a user; without --password-stdin a strong password is generated and printed once.

    \b
    Examples:
      oversight users add alice --role analyst
      echo "$PASSWORD" | oversight users add rth-board --role trust --org RTH --password-stdin
    """
    from ..store.users import UserError, add_user, generate_password

    if role is Role.trust and not org:
        raise UsageError("a trust user needs --org CODE (the organisation it sees)", param="--org")
    if role is not Role.trust and org:
        raise UsageError(
            f"only a trust user is bound to an organisation; an {role.value} sees every one", param="--org"
        )
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    if password_stdin and len(password) < 8:
        raise UsageError("the password read from standard input is shorter than 8 characters", param="--password-stdin")
    engine = _users_db(db)
    try:
        user = add_user(engine, name, role.value, password, org)
    except UserError as exc:
        raise UsageError(str(exc), param="--org" if "organisation" in str(exc) else "NAME") from None
    typer.echo(f"Added {user.name}: {user.role}" + (f" of {user.org_code}" if user.org_code else ""))
    if not password_stdin:
        typer.echo(f"Password (shown once): {password}")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    db: c.DbOpt = None,
) -> None:
    """Issue a new API token for the user (send it as 'Authorization: Bearer TOKEN'); it is shown
    once, on the last line, and only its hash is stored.

    \b
    Example:
      TOKEN=$(oversight users token alice | tail -1)
    """
    from ..store.users import UserError, issue_token

    engine = _users_db(db)
    try:
        token = issue_token(engine, name)
    except UserError as exc:
        raise NotFound(str(exc)) from None
    typer.echo(f"A new API token for {name} (shown once):")
    typer.echo(token)


@users_app.command("list")
def users_list(db: c.DbOpt = None) -> None:
    """The users, their roles and organisations, and how many API tokens each holds.

    \b
    Example:
      oversight users list --db demo.sqlite
    """
    from rich.table import Table

    from ..store.users import list_users

    rows = list_users(_users_db(db))
    table = Table(title="Users", header_style="bold")
    for column in ("name", "role", "org", "created", "tokens"):
        table.add_column(column)
    for row in rows:
        created = row["created_at"]
        table.add_row(
            str(row["name"]),
            str(row["role"]),
            str(row["org_code"] or ""),
            created.strftime("%Y-%m-%d %H:%M") if hasattr(created, "strftime") else str(created),
            str(row["tokens"]),
        )
    c.console().print(table)
    if not rows:
        c.console().print("No users yet: `oversight users add NAME --role analyst`.")


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    db: c.DbOpt = None,
) -> None:
    """Remove a user, their tokens and sessions (their decisions stay in the log).

    \b
    Example:
      oversight users remove j.analyst --db demo.sqlite
    """
    from ..store.users import UserError, remove_user

    try:
        remove_user(_users_db(db), name)
    except UserError as exc:
        raise NotFound(str(exc)) from None
    typer.echo(f"Removed {name}; their decisions stay in the log.")


@app.command()
def serve(
    db: c.DbOpt = None,
    host: Annotated[
        str, typer.Option("--host", help="The address to listen on (default: loopback only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="The port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Server processes.")] = 1,
    public: Annotated[
        bool, typer.Option("--public", help="Let anonymous readers see published ratings and counts.")
    ] = False,
    demo: Annotated[
        bool, typer.Option("--demo", help="Serve the demo database (built if missing), with demo users.")
    ] = False,
) -> None:
    """Serve the HTTP API under /api (OpenAPI at /api/openapi.json, docs at /api/docs).

    \b
    Examples:
      oversight serve --demo
      oversight serve --db postgresql://oversight@db/oversight --workers 4
    """
    import uvicorn

    from ..service.data import open_data
    from ..store import resolve_db_url

    if demo and db:
        raise UsageError("--demo serves the demo database; leave out --db", param="--demo")
    url = _demo_database() if demo else resolve_db_url(db)
    lib = c.library()
    engine = open_data(None, url, lib)  # refuse a missing or empty database before listening
    from ..store.users import ensure_user_tables

    ensure_user_tables(engine)
    if demo:
        _demo_users(engine)
    engine.dispose()
    address = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    typer.echo(f"Serving {address}/api (docs {address}/api/docs, sign in at {address}/login); Ctrl+C stops.")
    os.environ["OVERSIGHT_SERVE_DB"] = url
    os.environ["OVERSIGHT_SERVE_PUBLIC"] = "1" if public else "0"
    log_config = _log_config()
    if workers == 1:
        from ..web.app import app_from_env

        uvicorn.run(app_from_env(), host=host, port=port, log_config=log_config, server_header=False)
    else:
        uvicorn.run(
            "nhs_oversight.web.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=log_config,
            server_header=False,
        )


def _log_config() -> dict[str, object]:
    """uvicorn's logging, without the Authorization header or query secrets (it logs neither)."""
    from uvicorn.config import LOGGING_CONFIG

    return LOGGING_CONFIG


def _demo_database() -> str:
    """The demo database's URL, building it from the bundled demo data when missing."""
    from ..demo.generate import generate_demo
    from ..demo.run import demo_home
    from ..inputs import read_data_folder
    from ..store import is_empty, load_dataset, open_store, resolve_db_url

    path = demo_home() / "demo.sqlite"
    url = resolve_db_url(str(path))
    if path.is_file() and path.stat().st_size > 0:
        try:
            if not is_empty(open_store(url)):
                return url
        except Exception:  # noqa: BLE001 - an unusable file is rebuilt below
            pass
    typer.echo("Building the demo database (about ten seconds)…")
    folder = demo_home() / "demo-data"
    generate_demo(folder)
    load_dataset(open_store(url, create=True), read_data_folder(folder, c.library()), replace=True)
    return url


def _demo_users(engine: Engine) -> None:
    """Create the demo users that are missing (passwords printed once), and say how to sign in."""
    from sqlalchemy import select

    from ..store.tables import DATA_TABLES
    from ..store.users import add_user, generate_password, get_user

    orgs = DATA_TABLES["organisations"]
    with engine.connect() as conn:
        trust = conn.execute(
            select(orgs.c.code).where(orgs.c.kind.in_(("foundation_trust", "nhs_trust"))).order_by(orgs.c.code).limit(1)
        ).scalar_one()
    for name, role in DEMO_USERS:
        user = get_user(engine, name)
        if user is None:
            password = generate_password()
            user = add_user(engine, name, role, password, trust if role == "trust" else None)
            typer.echo(f"Demo user {name} ({role}{' of ' + trust if role == 'trust' else ''}): password {password}")
        else:
            typer.echo(f"Demo user {name} ({role}{' of ' + str(user.org_code) if user.org_code else ''}): exists")
    db = str(engine.url.database)
    typer.echo(
        "Sign in at /login with a demo user's name and the password printed when it was created, or use an API "
        f"token: oversight users token demo-analyst --db {db} (a forgotten password: oversight users remove "
        f"demo-analyst --db {db}, then serve --demo again)"
    )
