"""Shared fixtures: a real HTTP server on 127.0.0.1 and a Manager factory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from softwareupdate_core.http import HttpClient
from tests.hostile import HostileServer
from tests.httpserver import FakeServer


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A running HTTP server on 127.0.0.1; add routes with ``server.route(path, ...)``."""
    fake = FakeServer().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def http() -> Iterator[HttpClient]:
    """An HTTP client with short timeouts (2 s), closed after the test."""
    with HttpClient(timeout=(2.0, 2.0)) as client:
        yield client


@pytest.fixture
def hostile_server() -> Iterator[HostileServer]:
    """A raw-socket server on 127.0.0.1 that misbehaves on purpose (see ``tests/hostile.py``)."""
    hostile = HostileServer().start()
    try:
        yield hostile
    finally:
        hostile.stop()
