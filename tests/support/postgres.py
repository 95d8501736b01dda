"""Scratch PostgreSQL databases on the local server (127.0.0.1:5432, trust auth): one fresh database per
test, dropped afterwards, so store and checkpoint tests run against the real server without sharing state."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pytest

__all__ = ["admin_url", "database_url", "require_postgres", "scratch_database"]

_CANDIDATES = [
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
    "postgresql://postgres@127.0.0.1:5432/postgres",
]


@cache
def admin_url() -> str | None:
    """A URL that can create databases (``ANDON_TEST_POSTGRES_URL`` wins), or None when no server answers."""
    import psycopg

    for url in [os.environ.get("ANDON_TEST_POSTGRES_URL", "")] + _CANDIDATES:
        if not url:
            continue
        try:
            with psycopg.connect(url, connect_timeout=3):
                return url
        except psycopg.Error:
            continue
    return None


@contextmanager
def scratch_database(prefix: str = "andon_test") -> Iterator[str]:
    """A new, empty database's URL; dropped (connections and all) on exit."""
    import psycopg

    admin = admin_url()
    if admin is None:
        raise RuntimeError("no PostgreSQL server on 127.0.0.1:5432 (start it, or set ANDON_TEST_POSTGRES_URL)")
    name = f"{prefix}_{secrets.token_hex(5)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def require_postgres() -> None:
    """Fail (the CI starts PostgreSQL) unless ``ANDON_TEST_SKIP_POSTGRES`` asks to skip when it is absent."""
    if admin_url() is None:
        if os.environ.get("ANDON_TEST_SKIP_POSTGRES"):
            pytest.skip("ANDON_TEST_SKIP_POSTGRES is set and no PostgreSQL server answers")
        pytest.fail(
            "PostgreSQL is not running on 127.0.0.1:5432 (scripts/test.sh starts it); "
            "set ANDON_TEST_SKIP_POSTGRES=1 to skip these tests"
        )


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Parametrises a test over both stores: None (SQLite in the data dir) or a scratch PostgreSQL database.
    Import it into a conftest to use it."""
    if request.param == "sqlite":
        yield None
        return
    require_postgres()
    with scratch_database() as url:
        yield url
