"""Fixtures of the central's tests: a central on a new SQLite file (`central`), or on each
engine in turn (`any_central`: SQLite, then PostgreSQL where a server can be started)."""
from __future__ import annotations

import pytest
from central.support import Central
from helpers import FakeClock


@pytest.fixture
def clock():
    return FakeClock(step=0)


@pytest.fixture
def central(tmp_path):
    c = Central(f"sqlite:///{tmp_path}/central.db")
    yield c
    c.close()


@pytest.fixture
def any_central(store_url):
    c = Central(store_url)
    yield c
    c.close()
