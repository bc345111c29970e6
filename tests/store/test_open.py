"""Opening a database: never by accident, with messages a user can act on, upgrading in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text, update
from sqlalchemy.engine import make_url

from nhs_oversight.inputs import read_data_folder
from nhs_oversight.store import (
    StoreError,
    data_version,
    load_dataset,
    open_store,
    read_table,
    redact_url,
    resolve_db_url,
)
from nhs_oversight.store.tables import INDEXES, SCHEMA_VERSION, meta, metadata

from ..backends import _free_port


def _index_names(engine) -> set[str]:
    found = inspect(engine)
    return {ix["name"] for table in found.get_table_names() for ix in found.get_indexes(table)}


def _expected_indexes() -> set[str]:
    return {ix.name for table in metadata.sorted_tables for ix in table.indexes}


def test_db_urls_and_paths(tmp_path: Path) -> None:
    assert resolve_db_url(str(tmp_path / "x.sqlite")) == f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert resolve_db_url("postgresql+psycopg://u@localhost/db") == "postgresql+psycopg://u@localhost/db"
    assert resolve_db_url("postgresql://u@localhost/db") == "postgresql+psycopg://u@localhost/db"
    assert resolve_db_url("postgres://u@localhost/db") == "postgresql+psycopg://u@localhost/db"
    assert resolve_db_url(None).endswith("nhs-oversight/oversight.sqlite")
    with pytest.raises(StoreError, match="cannot use the database URL"):
        open_store("nosuchdialect://x")


def test_reading_never_creates_a_database(tmp_path: Path) -> None:
    typo = tmp_path / "no-such-folder" / "oversight.sqlite"
    with pytest.raises(StoreError) as refused:
        open_store(typo)
    assert str(refused.value) == (
        f"no database at {typo}: load data with `oversight import DIR --db {typo}` or try `oversight demo`"
    )
    assert not typo.parent.exists()
    with pytest.raises(StoreError, match="^no database at .*oversight.sqlite"):
        open_store()  # the default database, not there yet
    assert not Path(resolve_db_url(None).removeprefix("sqlite:///")).exists()
    # an empty file (left behind by earlier releases) is no database either, and stays as it was
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(StoreError, match="^no database at"):
        open_store(empty)
    assert empty.stat().st_size == 0


def test_create_makes_the_folder_file_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "oversight.sqlite"
    engine = open_store(path, create=True)
    assert path.is_file()
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    assert _expected_indexes() <= _index_names(engine)
    assert data_version(engine) == 0
    assert data_version(open_store(path)) == 0  # and then it opens without create


def test_a_sqlite_file_of_another_application_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    other = create_engine(f"sqlite:///{path}")
    with other.begin() as conn:
        conn.execute(text("CREATE TABLE notes (x TEXT)"))
    other.dispose()
    with pytest.raises(StoreError, match="is not an nhs-oversight database .*: check --db$"):
        open_store(path)
    assert inspect(create_engine(f"sqlite:///{path}")).get_table_names() == ["notes"]


def test_an_empty_postgresql_database_is_not_filled_by_reading(pg_url: str) -> None:
    with pytest.raises(StoreError, match=r"^the PostgreSQL database \S+ on 127.0.0.1:\d+ as \w+ holds no"):
        open_store(pg_url)
    assert inspect(create_engine(pg_url)).get_table_names() == []
    open_store(pg_url, create=True)
    assert "meta" in inspect(create_engine(pg_url)).get_table_names()


def test_an_unreachable_server_is_named_without_the_password() -> None:
    port = _free_port()  # nothing listens there
    url = f"postgresql+psycopg://analyst:s3cr%40t-pw@127.0.0.1:{port}/oversight"
    with pytest.raises(StoreError) as refused:
        open_store(url)
    message = str(refused.value)
    assert message.startswith(f"cannot open the PostgreSQL database oversight on 127.0.0.1:{port} as analyst: ")
    assert "s3cr" not in message and "\n" not in message
    assert redact_url(url) == f"postgresql+psycopg://analyst:***@127.0.0.1:{port}/oversight"
    assert "s3cr" not in redact_url("garbage://analyst:s3cret@host:notaport/x")


def test_a_missing_postgresql_database_is_named_without_the_password(pg_server: str) -> None:
    url = make_url(pg_server).set(password="s3cret-pw", database="no_such_db")
    with pytest.raises(StoreError) as refused:
        open_store(url.render_as_string(hide_password=False), create=True)
    message = str(refused.value)
    assert "no_such_db" in message and "127.0.0.1" in message
    assert "s3cret" not in message and "\n" not in message


def test_newer_schema_is_refused(engine_url: str) -> None:
    engine = open_store(engine_url, create=True)
    with engine.begin() as conn:
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="999"))
    with pytest.raises(StoreError, match=f"schema version 999, newer than this release's {SCHEMA_VERSION}"):
        open_store(engine_url)


def test_version_1_gains_the_decisions_table(tmp_path: Path) -> None:
    engine = open_store(tmp_path / "db.sqlite", create=True)
    with engine.begin() as conn:
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="1"))
        conn.execute(text("DROP TABLE decisions"))
    upgraded = open_store(tmp_path / "db.sqlite")
    assert "decisions" in inspect(upgraded).get_table_names()
    with upgraded.begin() as conn:  # with its append-only trigger
        conn.execute(text("INSERT INTO decisions VALUES (1,'X','Q','accept','g','g',1,'r','why','me','2026-01-01')"))
    with pytest.raises(Exception, match="append-only"), upgraded.begin() as conn:
        conn.execute(text("DELETE FROM decisions"))
    with upgraded.connect() as conn:
        assert conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar() == str(SCHEMA_VERSION)


def _make_version_2(url: str, folder: Path, library) -> dict[str, list]:
    """A database as release 0.1 (schema version 2) left it: the same tables, none of the
    version-3 indexes, no ``data_version`` row. Returns its data."""
    engine = open_store(url, create=True)
    load_dataset(engine, read_data_folder(folder, library))
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            for index in table.indexes:
                conn.execute(text(f"DROP INDEX {index.name}"))
        conn.execute(meta.delete().where(meta.c.key == "data_version"))
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="2"))
    assert not _expected_indexes() & _index_names(engine)
    data = {
        name: sorted(map(tuple, read_table(engine, name).astype(str).values))
        for name in ("infections", "organisations")
    }
    engine.dispose()
    return data


def test_version_2_is_upgraded_in_place(engine_url: str, governance_folder: Path, library) -> None:
    before = _make_version_2(engine_url, governance_folder, library)
    engine = open_store(engine_url)  # a reading command: upgrading is not creating
    assert _expected_indexes() <= _index_names(engine)
    assert {f"ix_infections_{'_'.join(cols)}" for cols in INDEXES["infections"]} <= _index_names(engine)
    with engine.connect() as conn:
        assert conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar() == str(SCHEMA_VERSION)
    assert data_version(engine) == 0
    after = {name: sorted(map(tuple, read_table(engine, name).astype(str).values)) for name in before}
    assert after == before
    load_dataset(engine, read_data_folder(governance_folder, library))
    assert data_version(engine) == 1


def test_reads_by_organism_and_month_use_an_index(tmp_path: Path, good_folder: Path, library) -> None:
    engine = open_store(tmp_path / "db.sqlite", create=True)
    load_dataset(engine, read_data_folder(good_folder, library))

    def plan(where: str) -> str:
        with engine.connect() as conn:
            return " ".join(
                str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN SELECT * FROM infections {where}"))
            )

    assert "USING INDEX ix_infections_organism_month" in plan(
        "WHERE organism = 'mrsa' AND month IN ('2012-04', '2012-05')"
    )
    assert "USING INDEX ix_infections_month" in plan("WHERE month = '2012-04'")
    assert "USING INDEX sqlite_autoindex_infections" in plan("WHERE org_code = 'RTH'")  # the key starts with org_code
