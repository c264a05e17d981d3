"""Shared fixtures: a real HTTP server on 127.0.0.1 and a Manager factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Optional

import pytest

from softwareupdate_core.http import HttpClient
from tests.hostile import HostileServer
from tests.httpserver import FakeServer
from tests.redisserver import RedisServer, RedisServerMissing, find_redis_server


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
def redis_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RedisServer]]:
    """Start real ``redis-server`` processes (``password=``, ``options=``); all stopped after."""
    started: list[RedisServer] = []

    def start(
        password: Optional[str] = None, options: Optional[dict[str, str]] = None
    ) -> RedisServer:
        try:
            find_redis_server()
        except RedisServerMissing as exc:
            pytest.fail(str(exc), pytrace=False)
        folder = tmp_path_factory.mktemp("redis")
        server = RedisServer(folder, password=password, options=dict(options or {}))
        started.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def redis_server(redis_servers: Callable[..., RedisServer]) -> RedisServer:
    """A running ``redis-server`` on a free 127.0.0.1 port, persistence off, stopped after."""
    return redis_servers()


@pytest.fixture
def hostile_server() -> Iterator[HostileServer]:
    """A raw-socket server on 127.0.0.1 that misbehaves on purpose (see ``tests/hostile.py``)."""
    hostile = HostileServer().start()
    try:
        yield hostile
    finally:
        hostile.stop()
