"""The farm's shared cache against a real redis-server: sharing, scoping, secrets, faults."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import redis

from softwareupdate_core.config.settings import Settings
from softwareupdate_core.exceptions import ConfigurationInvalid
from softwareupdate_core.store.shared_cache import (
    AnswerKey,
    CachedAnswer,
    RateLimitState,
    SharedCache,
    SharedCacheSettings,
    SharedDocument,
    credential_scope,
    parse_shared_cache,
)
from tests.httpserver import FakeServer, Reply
from tests.redisserver import RedisServer, RedisServerMissing, find_redis_server

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "ghp_SECRETTOKEN1234567890"
PASSWORD = "s3cr3t-redis-pass"
URL = "https://api.github.com/repos/foo/bar/releases?per_page=100&access_token=QUERYSECRET"
LOGGER = "softwareupdate_core.store.shared_cache"


@pytest.fixture
def caches() -> Iterator[Callable[..., SharedCache]]:
    """Build SharedCache instances for a Redis URL; all closed after the test."""
    made: list[SharedCache] = []

    def make(url: str, **kwargs: Any) -> SharedCache:
        settings = {"url": url, **{k: kwargs.pop(k) for k in ("prefix", "timeout") if k in kwargs}}
        cache = SharedCache.from_settings(settings, **kwargs)
        assert cache is not None
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()


def inspect(server: RedisServer) -> redis.Redis:
    """A plain client to look at what the cache stored."""
    return redis.Redis(
        host="127.0.0.1", port=server.port, password=server.password, socket_timeout=5
    )


def answer(
    body: bytes = b'[{"tag_name": "1.0"}]', stored_at: Optional[float] = None
) -> CachedAnswer:
    return CachedAnswer(
        200,
        body,
        {"Content-Type": "application/json", "Set-Cookie": "session=abc", "ETag": '"v1"'},
        etag='"v1"',
        last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
        stored_at=time.time() if stored_at is None else stored_at,
    )


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


# -- settings --------------------------------------------------------------------------------


def test_settings_parse_and_mask_the_password() -> None:
    """A Redis URL with a password parses; the password shows nowhere in repr or display URL."""
    settings = parse_shared_cache(
        {"url": f"redis://user:{PASSWORD}@cache.local:6380/3", "prefix": "farm1:", "timeout": 1}
    )
    assert settings is not None
    assert (settings.host, settings.port, settings.db, settings.username) == (
        "cache.local",
        6380,
        3,
        "user",
    )
    assert settings.password == PASSWORD
    assert settings.prefix == "farm1"
    assert settings.display_url == "redis://user:***@cache.local:6380/3"
    assert PASSWORD not in repr(settings)
    assert parse_shared_cache(None) is None


def test_the_settings_repr_hides_the_redis_password() -> None:
    """The shared_cache URL kept in the settings shows without its password in their repr."""
    settings = Settings.from_mapping({"shared_cache": {"url": f"redis://:{PASSWORD}@h:6379/0"}})
    assert PASSWORD not in repr(settings)
    assert "redis://***@h:6379/0" in repr(settings)


@pytest.mark.parametrize(
    ("value", "key", "words"),
    [
        ({"url": f"http://:{PASSWORD}@host:6379/0"}, "shared_cache.url", "unsupported scheme"),
        ({"url": f"redis://:{PASSWORD}@host:notaport/0"}, "shared_cache.url", "not a valid URL"),
        ({"url": f"redis://:{PASSWORD}@host:6379/zero"}, "shared_cache.url", "database number"),
        ({"url": f"redis://:{PASSWORD}@host/0?ssl=1"}, "shared_cache.url", "query options"),
        ({"url": f"{PASSWORD}"}, "shared_cache.url", "unsupported scheme"),
        ({"url": 6379}, "shared_cache.url", "redis://"),
        ({}, "shared_cache.url", "missing"),
        ({"url": "redis://h/0", "prefix": "bad prefix!"}, "shared_cache.prefix", "letters"),
        ({"url": "redis://h/0", "timeout": 0}, "shared_cache.timeout", "seconds"),
        ({"url": "redis://h/0", "timeout": "fast"}, "shared_cache.timeout", "number"),
        ({"url": "redis://h/0", "passwd": "x"}, "shared_cache.passwd", "unknown key"),
        ("redis://h/0", "shared_cache", "mapping"),
    ],
)
def test_bad_settings_name_the_key_and_hide_the_password(value: Any, key: str, words: str) -> None:
    """Each bad value raises ConfigurationInvalid naming its key, never showing the password."""
    with pytest.raises(ConfigurationInvalid) as info:
        SharedCacheSettings.from_mapping(value)
    assert info.value.key == key
    assert words in str(info.value)
    assert PASSWORD not in str(info.value)


def test_library_imports_and_says_what_is_missing_without_redis() -> None:
    """Without redis the library imports; configuring a shared cache says what to install."""
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "redis" or name.startswith("redis."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, Block())
import softwareupdate_core
from softwareupdate_core.store import shared_cache
from softwareupdate_core.exceptions import ConfigurationInvalid
from softwareupdate_core.config.settings import Settings
assert "redis" not in sys.modules
assert shared_cache.parse_shared_cache({"url": "redis://h/0"}) is not None
try:
    shared_cache.SharedCache.from_settings({"url": "redis://h/0"})
except ConfigurationInvalid as exc:
    print(exc)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert "shared_cache: needs the redis package" in done.stdout
    assert "softwareupdate-core[redis]" in done.stdout


# -- sharing ---------------------------------------------------------------------------------


def test_answer_round_trip_between_two_hosts(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """An answer one host stores is read back by another: status, body, validators, safe headers."""
    one, two = caches(redis_server.url), caches(redis_server.url)
    key = AnswerKey.for_url(URL)
    stored = answer(b"\xff\x00binary body")
    assert one.put_answer(key, stored)
    got = two.get_answer(key)
    assert got == stored
    assert got is not None and got.body == b"\xff\x00binary body"
    assert dict(got.headers) == {"content-type": "application/json"}
    assert two.get_answer(AnswerKey.for_url(URL + "&page=2")) is None


def test_token_scoped_answer_is_only_served_to_the_same_token(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """An answer fetched with a token is invisible to another token and to a token-less host."""
    cache = caches(redis_server.url)
    cache.put_answer(AnswerKey.for_url(URL, credential_scope(TOKEN)), answer(b"private"))
    assert cache.get_answer(AnswerKey.for_url(URL, credential_scope("ghp_other"))) is None
    assert cache.get_answer(AnswerKey.for_url(URL)) is None
    same = caches(redis_server.url).get_answer(AnswerKey.for_url(URL, credential_scope(TOKEN)))
    assert same is not None and same.body == b"private"


def test_a_raw_token_cannot_be_used_as_a_scope() -> None:
    """Passing a token where its scope hash belongs is refused, so it cannot reach a key name."""
    with pytest.raises(ValueError, match="credential_scope"):
        AnswerKey.for_url(URL, TOKEN)


def test_no_secret_in_any_key_or_value(
    redis_servers: Callable[..., RedisServer], caches: Callable[..., SharedCache]
) -> None:
    """After every kind of write, no key or value holds the token, the password or the URL query."""
    server = redis_servers(password=PASSWORD)
    cache = caches(server.url)
    scope = credential_scope(TOKEN)
    key = AnswerKey.for_url(URL, scope)
    assert cache.put_answer(key, answer(b"body"))
    assert cache.put_rate_limit("api.github.com", scope, RateLimitState(10, time.time() + 60))
    assert cache.put_overlay(URL, SharedDocument(b"{}", time.time()), ttl=60)
    assert cache.lease(key, 60_000) is not None
    client = inspect(server)
    try:
        names = list(client.scan_iter(match="*"))
        assert len(names) == 4
        blobs = [n for n in names] + [client.get(n) or b"" for n in names]
    finally:
        client.close()
    for blob in blobs:
        for secret in (TOKEN, PASSWORD, "QUERYSECRET", "access_token", "session=abc"):
            assert secret.encode() not in blob, (secret, blob)
    assert all(n.startswith(b"softwareupdate:") for n in names)


def test_rate_limit_state_is_shared_and_a_spent_quota_stays_spent(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """Once a host saw the quota spent, all wait for the reset; late news cannot reopen it."""
    one, two = caches(redis_server.url), caches(redis_server.url)
    reset = time.time() + 600
    assert two.blocked_until("api.github.com") is None
    assert one.put_rate_limit("api.github.com", None, RateLimitState(3, reset, 60))
    assert one.put_rate_limit("API.github.com", None, RateLimitState(0, reset, 60))
    assert not two.put_rate_limit("api.github.com", None, RateLimitState(2, reset, 60))
    assert two.blocked_until("api.github.com") == reset
    assert two.get_rate_limit("api.github.com") == RateLimitState(0, reset, 60)
    assert two.blocked_until("api.github.com", credential_scope(TOKEN)) is None
    assert two.blocked_until("codeberg.org") is None
    # the next window replaces the spent one
    assert two.put_rate_limit("api.github.com", None, RateLimitState(59, reset + 3600, 60))
    assert one.blocked_until("api.github.com") is None


def test_a_past_reset_unblocks(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """A spent quota whose reset time has passed no longer blocks anyone."""
    now = [1_000_000.0]
    cache = caches(redis_server.url, clock=lambda: now[0])
    cache.put_rate_limit("api.github.com", None, RateLimitState(0, now[0] + 30))
    assert cache.blocked_until("api.github.com") == now[0] + 30
    now[0] += 31
    assert cache.blocked_until("api.github.com") is None


def test_overlay_documents_are_shared_until_their_ttl(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """An overlay document stored by one host is read by another until its TTL runs out."""
    one, two = caches(redis_server.url), caches(redis_server.url)
    document = SharedDocument(b'{"plugin": {"user": "new"}}', time.time())
    assert one.put_overlay("https://example.com/overlay.json", document, ttl=2)
    assert two.get_overlay("https://example.com/overlay.json") == document
    assert two.get_overlay("https://example.com/other.json") is None
    deadline = time.monotonic() + 10
    while two.get_overlay("https://example.com/overlay.json") is not None:
        assert time.monotonic() < deadline, "overlay never expired"
        time.sleep(0.05)


def test_values_over_the_size_cap_stay_local(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """An answer larger than the cap is not stored, and reading it gives nothing."""
    cache = caches(redis_server.url, max_value_bytes=1000)
    key = AnswerKey.for_url(URL)
    assert not cache.put_answer(key, answer(b"x" * 2000))
    assert cache.get_answer(key) is None
    assert cache.put_answer(key, answer(b"x" * 100))


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b'{"type": "http_answer", "version": 99}',
        b'{"type": "rate_limit", "version": 1}',
        b'{"type": "http_answer", "version": 1, "status": "200", "headers": {}, "body": ""}',
        b'{"type":"http_answer","version":1,"status":200,"headers":{},"stored_at":1,'
        b'"body":"!!","encoding":"base64"}',
    ],
)
def test_garbage_values_are_ignored_with_one_warning(
    redis_server: RedisServer,
    caches: Callable[..., SharedCache],
    caplog: pytest.LogCaptureFixture,
    raw: bytes,
) -> None:
    """An unreadable value gives nothing and one warning, and Redis stays in use."""
    cache = caches(redis_server.url)
    key = AnswerKey.for_url(URL)
    client = inspect(redis_server)
    try:
        client.set(f"softwareupdate:answer:{key.name}", raw)
    finally:
        client.close()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert cache.get_answer(key) is None
        assert cache.get_answer(key) is None
    assert len(warnings_of(caplog)) == 1
    assert "unreadable value" in warnings_of(caplog)[0].getMessage()
    assert cache.put_answer(key, answer(b"good"))
    good = cache.get_answer(key)
    assert good is not None and good.body == b"good"


# -- single flight ---------------------------------------------------------------------------


def test_one_of_twenty_threads_gets_the_lease_and_the_others_its_answer(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """Twenty hosts needing one URL at once: one asks upstream, the others get its answer."""
    key = AnswerKey.for_url(URL)
    start = time.time()
    barrier = threading.Barrier(20)
    upstream: list[int] = []
    results: list[Optional[CachedAnswer]] = [None] * 20
    hosts = [caches(redis_server.url, timeout=2.0) for _ in range(20)]

    def fetch(n: int) -> CachedAnswer:
        upstream.append(n)
        time.sleep(0.3)
        return answer(f"from host {n}".encode())

    def host(n: int) -> None:
        barrier.wait()
        results[n] = hosts[n].single_flight(key, lambda: fetch(n), newer_than=start, wait=20)

    threads = [threading.Thread(target=host, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(upstream) == 1
    expected = f"from host {upstream[0]}".encode()
    assert [r.body if r else None for r in results] == [expected] * 20


def test_only_one_holder_of_a_lease_and_release_is_safe(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """A lease goes to one host; a late release cannot delete the next holder's lease."""
    one, two = caches(redis_server.url), caches(redis_server.url)
    key = AnswerKey.for_url(URL)
    first = one.lease(key, 1000)
    assert first is not None
    assert two.lease(key, 1000) is None
    time.sleep(1.2)
    second = two.lease(key, 60_000)
    assert second is not None
    assert not one.release(first)
    assert one.lease(key, 200) is None
    assert two.release(second)
    assert one.lease(key, 200) is not None


def test_a_forced_check_accepts_an_answer_obtained_after_it_began(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """An answer older than the force is not reused; one stored after the force began is."""
    cache = caches(redis_server.url)
    key = AnswerKey.for_url(URL)
    cache.put_answer(key, answer(b"old", stored_at=time.time() - 100))
    force_began = time.time() - 1
    fetched: list[bytes] = []

    def fetch() -> CachedAnswer:
        fetched.append(b"new")
        return answer(b"new")

    got = cache.single_flight(key, fetch, newer_than=force_began)
    assert got is not None and got.body == b"new" and fetched == [b"new"]
    again = caches(redis_server.url).single_flight(key, fetch, newer_than=force_began)
    assert again is not None and again.body == b"new" and len(fetched) == 1


def worker(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sharedcache_worker", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_several_processes_make_one_upstream_request(
    redis_server: RedisServer, server: FakeServer
) -> None:
    """Six host processes fetching one URL through the shared cache cause one upstream request."""
    server.route("/releases", Reply.json([{"tag_name": "2.0"}], delay=0.5))
    url = f"{server.url}/releases"
    start = str(time.time())
    processes = [worker("fetch", redis_server.url, url, start) for _ in range(6)]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    bodies = [json.loads(out)["body"] for out, _ in outputs]
    assert bodies == ['[{"tag_name": "2.0"}]'] * 6
    assert len(server.hits("/releases")) == 1


def test_a_killed_holders_lease_expires_and_another_host_takes_over(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """A holder SIGKILLed mid-request blocks nobody past its lease: waiting ends, lease free."""
    holder = worker("hold", redis_server.url, URL, "5000")
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "leased"
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()
    cache = caches(redis_server.url)
    key = AnswerKey.for_url(URL)
    assert cache.lease(key, 1000) is None  # the dead holder's lease is still there
    began = time.monotonic()
    assert cache.wait_for_answer(key, newer_than=0.0, timeout=30) is None
    assert time.monotonic() - began < 20  # ended when the lease expired, not at the timeout
    assert cache.lease(key, 1000) is not None


# -- faults ----------------------------------------------------------------------------------


def test_redis_killed_mid_use_gives_nothing_fast_one_warning_then_reconnects(
    redis_server: RedisServer,
    caches: Callable[..., SharedCache],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis killed: calls give nothing at once, one warning a round; used again after restart."""
    cache = caches(redis_server.url)
    key = AnswerKey.for_url(URL)
    cache.begin_round()
    assert cache.put_answer(key, answer(b"before"))
    redis_server.kill()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        began = time.monotonic()
        assert cache.get_answer(key) is None
        assert not cache.put_answer(key, answer())
        assert cache.lease(key, 1000) is None
        assert cache.wait_for_answer(key, 0.0, timeout=5) is None
        assert cache.blocked_until("api.github.com") is None
        assert not cache.put_rate_limit("api.github.com", None, RateLimitState(0, time.time()))
        assert cache.get_overlay(URL) is None
        assert time.monotonic() - began < 5
        assert len(warnings_of(caplog)) == 1
        cache.begin_round()
        assert cache.get_answer(key) is None
        assert len(warnings_of(caplog)) == 2
    redis_server.start()
    cache.begin_round()
    assert cache.put_answer(key, answer(b"after"))
    got = cache.get_answer(key)
    assert got is not None and got.body == b"after"


def test_a_later_call_in_the_same_round_reconnects(
    redis_server: RedisServer, caches: Callable[..., SharedCache]
) -> None:
    """After the quiet time that follows a fault, a call in the same round reaches Redis again."""
    cache = caches(redis_server.url, retry_after=0.2)
    key = AnswerKey.for_url(URL)
    redis_server.kill()
    assert not cache.put_answer(key, answer())
    redis_server.start()
    time.sleep(0.3)
    assert cache.available
    assert cache.put_answer(key, answer(b"later"))
    got = cache.get_answer(key)
    assert got is not None and got.body == b"later"


def test_out_of_memory_redis_gives_false_and_a_warning(
    redis_servers: Callable[..., RedisServer],
    caches: Callable[..., SharedCache],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Redis out of memory refuses writes: put returns False with one warning naming the cause."""
    server = redis_servers(options={"maxmemory": "2mb", "maxmemory-policy": "noeviction"})
    cache = caches(server.url)
    cache.begin_round()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        stored = [
            cache.put_answer(AnswerKey.for_url(f"{URL}&n={n}"), answer(b"y" * 100_000))
            for n in range(40)
        ]
    assert stored[0] and not stored[-1]
    assert len(warnings_of(caplog)) == 1
    assert "maxmemory" in warnings_of(caplog)[0].getMessage()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_server_that_never_answers_costs_bounded_time(
    silent_server: int, caches: Callable[..., SharedCache], caplog: pytest.LogCaptureFixture
) -> None:
    """A server that accepts but never answers costs a few timeouts a round, and one warning."""
    cache = caches(f"redis://:{PASSWORD}@127.0.0.1:{silent_server}/0", timeout=0.5)
    key = AnswerKey.for_url(URL)
    cache.begin_round()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        began = time.monotonic()
        for _ in range(30):
            assert cache.get_answer(key) is None
            assert cache.lease(key, 1000) is None
            assert cache.wait_for_answer(key, 0.0, timeout=10) is None
        elapsed = time.monotonic() - began
    assert elapsed < 5, elapsed
    assert len(warnings_of(caplog)) == 1
    message = warnings_of(caplog)[0].getMessage()
    assert "Timeout" in message and PASSWORD not in message
    assert PASSWORD not in repr(cache)


def test_a_missing_redis_server_binary_is_named_with_its_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without redis-server on PATH the fixture's helper says what to install, not a traceback."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RedisServerMissing, match="apt-get install -y redis-server"):
        find_redis_server()
