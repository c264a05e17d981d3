"""Farm hosts sharing one Redis through their Managers: answers, scopes, quotas, overlays."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import redis

from softwareupdate_core import Manager
from softwareupdate_core.exceptions import ErrorCode
from tests.fakes.github import FakeGitHub, FakeRelease, Quota, mount_github
from tests.httpserver import FakeServer, Reply
from tests.redisserver import RedisServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "ghp_FARMTOKEN0123456789abcdef"
PASSWORD = "farm-redis-pass-42"
CACHE_LOGGER = "softwareupdate_core.store.shared_cache"


def section(
    api_url: str,
    targets: int,
    redis_url: Optional[str] = None,
    *,
    token: Optional[str] = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``softwareupdate`` section with ``targets`` GitHub release checks ``farm/repo{i}``."""
    result: dict[str, Any] = {
        "checks": {
            f"t{i}": {
                "type": "github_release",
                "user": "farm",
                "repo": f"repo{i}",
                "current": "1.0.0",
                "api_url": api_url,
            }
            for i in range(targets)
        },
        "check_overlay_url": None,
        **extra,
    }
    if redis_url is not None:
        result["shared_cache"] = {"url": redis_url, "prefix": "farmtest"}
    if token is not None:
        result["credentials"] = {"github": token}
    return result


@pytest.fixture
def github(server: FakeServer) -> FakeGitHub:
    """A fake GitHub with five repositories whose newest release is 1.1.0."""
    gh = mount_github(server, token=TOKEN)
    for i in range(5):
        gh.add_repo("farm", f"repo{i}", [FakeRelease("1.1.0"), FakeRelease("1.0.0")])
    return gh


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[Any]:
    """Build farm hosts (Managers with their own data folders); all closed after the test."""
    made: list[Manager] = []

    def make(settings: dict[str, Any]) -> Manager:
        manager = Manager(
            settings, data_folder=tmp_path / f"host{len(made)}", load_entrypoints=False
        )
        made.append(manager)
        return manager

    yield make
    for manager in made:
        manager.close()


def remotes(report: Any) -> dict[str, Optional[str]]:
    """Each target's remote version (None when its check failed)."""
    return {
        name: None if t.information is None else t.information.remote.value
        for name, t in report.targets.items()
    }


def release_hits(server: FakeServer) -> int:
    return sum(1 for r in server.hits() if r.path.endswith("/releases"))


def test_second_host_reads_first_hosts_answers(
    server: FakeServer, github: FakeGitHub, redis_server: RedisServer, hosts: Any
) -> None:
    """A second farm host gets every version from the shared cache without asking GitHub."""
    first = hosts(section(server.url, 5, redis_server.url)).check()
    assert release_hits(server) == 5
    second_host = hosts(section(server.url, 5, redis_server.url))
    second = second_host.check()
    assert release_hits(server) == 5
    assert remotes(second) == remotes(first) == {f"t{i}": "1.1.0" for i in range(5)}
    assert second_host.http.stats.shared_answers == 5
    assert second_host.http.stats.sent == 0


def test_without_shared_cache_each_host_asks(
    server: FakeServer, github: FakeGitHub, hosts: Any
) -> None:
    """Without ``shared_cache`` every host asks GitHub itself, as before."""
    hosts(section(server.url, 5)).check()
    hosts(section(server.url, 5)).check()
    assert release_hits(server) == 10


def test_token_answer_not_served_to_host_without_token(
    server: FakeServer, github: FakeGitHub, redis_server: RedisServer, hosts: Any
) -> None:
    """An answer fetched with a token reaches hosts with that token, never a token-less one."""
    github.graphql_mode = "unsupported"  # token checks over REST (else batched over GraphQL)
    hosts(section(server.url, 5, redis_server.url, token=TOKEN)).check()
    assert release_hits(server) == 5
    tokenless = hosts(section(server.url, 5, redis_server.url))
    tokenless.check()
    assert release_hits(server) == 10
    assert tokenless.http.stats.shared_answers == 0
    asked = [r for r in server.hits() if r.path.endswith("/releases")]
    assert all("Authorization" not in r.headers for r in asked[5:])
    same_token = hosts(section(server.url, 5, redis_server.url, token=TOKEN))
    same_token.check()
    assert release_hits(server) == 10
    assert same_token.http.stats.shared_answers == 5


def test_no_secret_in_redis_keys_or_values(
    server: FakeServer, github: FakeGitHub, redis_servers: Any, hosts: Any
) -> None:
    """After token and token-less rounds, no key or value in Redis holds the token or password."""
    cache = redis_servers(password=PASSWORD)
    github.graphql_mode = "unsupported"  # token checks over REST (else batched over GraphQL)
    hosts(section(server.url, 5, cache.url, token=TOKEN)).check()
    hosts(section(server.url, 5, cache.url)).check()
    client = redis.Redis(host="127.0.0.1", port=cache.port, password=PASSWORD)
    try:
        keys = list(client.scan_iter(count=1000))
        assert len(keys) >= 10  # answers of both scopes and their rate limits
        for key in keys:
            value = client.dump(key) or b""
            for blob in (key, value):
                assert TOKEN.encode() not in blob
                assert PASSWORD.encode() not in blob
                assert b"repo0" not in key  # keys hold hashes, not URLs
    finally:
        client.close()


def test_spent_quota_stops_every_host(
    server: FakeServer, github: FakeGitHub, redis_server: RedisServer, hosts: Any
) -> None:
    """Once one host spends the farm's quota, another host sends nothing before the reset."""
    github.anonymous = Quota(60, 3)
    first = hosts(section(server.url, 5, redis_server.url)).check()
    errors = [t.error for t in first.targets.values() if t.error is not None]
    assert errors  # the quota ran out during the first host's round
    sent = len(server.hits())
    second_host = hosts(section(server.url, 5, redis_server.url))
    second = second_host.check()
    assert len(server.hits()) == sent  # refused before sending
    failed = [t.error for t in second.targets.values() if t.information is None]
    assert failed and set(failed) == {ErrorCode.RATELIMIT}
    assert second_host.http.stats.refused_rate_limited > 0
    # a token has its own quota: a host with one still asks
    hosts(section(server.url, 5, redis_server.url, token=TOKEN)).check()
    assert len(server.hits()) > sent


def test_overlay_document_shared(
    server: FakeServer, github: FakeGitHub, redis_server: RedisServer, hosts: Any
) -> None:
    """The overlay document is fetched by one host; the next reads it from the farm's cache."""
    server.route("/overlays.json", {"t0": {"displayName": "Shared overlay name"}})
    overlay = f"{server.url}/overlays.json"
    first = hosts(section(server.url, 1, redis_server.url, check_overlay_url=overlay)).check()
    second = hosts(section(server.url, 1, redis_server.url, check_overlay_url=overlay)).check()
    assert len(server.hits("/overlays.json")) == 1
    assert first.targets["t0"].display_name == "Shared overlay name"
    assert second.targets["t0"].display_name == "Shared overlay name"


def test_forced_round_asks_conditionally_once(
    server: FakeServer, github: FakeGitHub, redis_server: RedisServer, hosts: Any
) -> None:
    """A forced round ignores the shared answers' freshness but sends their validators."""
    hosts(section(server.url, 5, redis_server.url)).check()
    forced = hosts(section(server.url, 5, redis_server.url)).check(force=True)
    assert release_hits(server) == 10
    assert github.not_modified == 5
    assert remotes(forced) == {f"t{i}": "1.1.0" for i in range(5)}


def test_redis_killed_mid_round_round_completes(
    redis_servers: Any, hosts: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis dying during a round: every target is still checked, with one masked warning."""
    slow = FakeServer(latency=0.15).start()
    try:
        gh = mount_github(slow)
        for i in range(5):
            gh.add_repo("farm", f"repo{i}", [FakeRelease("1.1.0")])
        cache = redis_servers(password=PASSWORD)
        host = hosts(section(slow.url, 5, cache.url, max_workers=1))
        killer = threading.Timer(0.2, cache.kill)
        killer.start()
        with caplog.at_level(logging.WARNING, logger=CACHE_LOGGER):
            report = host.check()
        killer.join()
        assert remotes(report) == {f"t{i}": "1.1.0" for i in range(5)}
        warnings = [r for r in caplog.records if r.name == CACHE_LOGGER]
        assert len(warnings) == 1
        assert PASSWORD not in caplog.text
        assert "***" in warnings[0].getMessage()
        # the next round reconnects once Redis is back
        cache.start()
        time.sleep(2.1)  # the cache rests after a fault before it connects again
        host.check(force=True)
        client = redis.Redis(host="127.0.0.1", port=cache.port, password=PASSWORD)
        try:
            assert list(client.scan_iter("farmtest:answer:*"))
        finally:
            client.close()
    finally:
        slow.stop()


def test_redis_down_from_start_host_checks_alone(
    server: FakeServer, github: FakeGitHub, redis_servers: Any, hosts: Any
) -> None:
    """With Redis unreachable from the start, the host checks with its own requests."""
    cache = redis_servers()
    cache.stop()
    report = hosts(section(server.url, 5, cache.url)).check()
    assert remotes(report) == {f"t{i}": "1.1.0" for i in range(5)}
    assert release_hits(server) == 5


def test_password_masked_in_settings_repr() -> None:
    """The Redis password never shows in the settings' repr."""
    from softwareupdate_core.config.settings import Settings

    settings = Settings.from_mapping({"shared_cache": {"url": f"redis://:{PASSWORD}@cache:6379/1"}})
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in repr(settings.shared_cache)


def test_redis_not_imported_without_shared_cache(tmp_path: Path) -> None:
    """A Manager without ``shared_cache`` runs a round without importing redis."""
    code = (
        "import sys\n"
        "from softwareupdate_core import Manager\n"
        f"m = Manager({{'checks': {{'a': {{'type': 'always_current', 'current': '1'}}}}}}, "
        f"data_folder={str(tmp_path)!r}, load_entrypoints=False)\n"
        "m.check(); m.close()\n"
        "print('redis' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().lower()) is False


class Host:
    """A farm host in a process of its own (``tests/farm_worker.py``)."""

    def __init__(self, settings: dict[str, Any], folder: Path) -> None:
        config = json.dumps({"settings": settings, "folder": str(folder)})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.farm_worker", config],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def line(self) -> str:
        assert self.process.stdout is not None
        text = self.process.stdout.readline()
        if not text:
            assert self.process.stderr is not None
            raise AssertionError(f"farm host died: {self.process.stderr.read()[-2000:]}")
        return text.strip()

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[Any]:
    """Start farm host processes for settings; every one is killed after the test."""
    started: list[Host] = []

    def start(settings: dict[str, Any], count: int) -> list[Host]:
        new = [Host(settings, tmp_path / f"proc{len(started) + i}") for i in range(count)]
        started.extend(new)
        for host in new:
            assert host.line() == "ready"
        return new

    yield start
    for host in started:
        host.stop()


def all_at_once(hosts: list[Host], command: str) -> list[dict[str, Any]]:
    """Send ``command`` to every host, then read every host's answer."""
    for host in hosts:
        host.send(command)
    return [json.loads(host.line()) for host in hosts]


def test_twenty_hosts_cold_and_forced_ask_once_per_url(
    redis_server: RedisServer, farm: Any
) -> None:
    """20 host processes with 30 targets at once: 30 upstream requests cold, 30 forced (304s)."""
    forge = FakeServer(latency=0.05).start()
    try:
        gh = mount_github(forge)
        gh.anonymous = Quota(10**6, 10**6)
        for i in range(30):
            gh.add_repo("farm", f"repo{i}", [FakeRelease("1.1.0"), FakeRelease("1.0.0")])
        hosts = farm(section(forge.url, 30, redis_server.url), 20)
        cold = all_at_once(hosts, "check")
        expected = {f"t{i}": "1.1.0" for i in range(30)}
        assert all(answer["remotes"] == expected for answer in cold), cold
        assert release_hits(forge) == 30
        assert sum(answer["shared"] for answer in cold) == 20 * 30 - 30
        forced = all_at_once(hosts, "force")
        assert all(answer["remotes"] == expected for answer in forced)
        assert release_hits(forge) == 60
        assert gh.not_modified == 30  # the forced requests were conditional
    finally:
        forge.stop()


def test_stale_lease_of_killed_holder_expires(
    redis_server: RedisServer, farm: Any, tmp_path: Path
) -> None:
    """A host SIGKILLed while asking upstream blocks the others only until its lease runs out."""
    forge = FakeServer().start()
    try:
        gh = mount_github(forge)
        gh.add_repo("farm", "repo0", [FakeRelease("1.1.0")])
        releases = forge.routes[("GET", "/repos/farm/repo0/releases")]
        first = threading.Event()

        def hang_first(request: Any) -> Reply:
            if not first.is_set():
                first.set()
                return Reply(200, b"[]", delay=600.0)  # the holder never gets its answer
            return releases(request)

        forge.route("/repos/farm/repo0/releases", hang_first)
        settings = section(forge.url, 1, redis_server.url, timeout={"connect": 1, "read": 2})
        (holder,) = farm(settings, 1)
        holder.send("check")
        assert first.wait(30)
        client = redis.Redis(host="127.0.0.1", port=redis_server.port)
        try:
            assert list(client.scan_iter("farmtest:lease:*"))  # the holder took the lease
        finally:
            client.close()
        holder.process.kill()
        holder.process.wait(timeout=30)
        started = time.monotonic()
        report = hosts_check(settings, tmp_path / "after")
        assert remotes(report) == {"t0": "1.1.0"}
        assert release_hits(forge) == 2
        assert time.monotonic() - started < 30  # the lease (4 s) expired; no endless wait
    finally:
        forge.stop()


def hosts_check(settings: dict[str, Any], folder: Path) -> Any:
    """One check round of a fresh in-process host."""
    with Manager(settings, data_folder=folder, load_entrypoints=False) as manager:
        return manager.check()


def test_garbage_in_redis_host_asks_itself(
    server: FakeServer,
    github: FakeGitHub,
    redis_server: RedisServer,
    hosts: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unreadable shared answers are ignored with one warning; the host asks GitHub itself."""
    hosts(section(server.url, 5, redis_server.url)).check()
    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    try:
        for key in client.scan_iter("farmtest:answer:*"):
            client.set(key, b"\xff not json")
    finally:
        client.close()
    with caplog.at_level(logging.WARNING, logger=CACHE_LOGGER):
        report = hosts(section(server.url, 5, redis_server.url)).check()
    assert remotes(report) == {f"t{i}": "1.1.0" for i in range(5)}
    assert release_hits(server) == 10
    assert len([r for r in caplog.records if r.name == CACHE_LOGGER]) == 1


def test_config_show_masks_redis_password(tmp_path: Path) -> None:
    """``softwareupdate config show`` shows the shared cache's URL with the password masked."""
    import yaml

    from softwareupdate_core.cli import cli
    from tests.clirunner import runner

    config = tmp_path / "softwareupdate.yaml"
    url = f"redis://:{PASSWORD}@cache.local:6380/2"
    config.write_text(
        yaml.safe_dump({"check_overlay_url": None, "shared_cache": {"url": url, "prefix": "f1"}})
    )
    args = ["--config", str(config), "--data-folder", str(tmp_path / "data"), "config", "show"]
    result = runner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    shown = yaml.safe_load(result.stdout)
    assert shown["shared_cache"] == {"url": "redis://***@cache.local:6380/2", "prefix": "f1"}


def test_forced_check_takes_answers_stored_after_force_began(
    server: FakeServer, github: FakeGitHub, redis_server: RedisServer, hosts: Any
) -> None:
    """A forced check reads another host's answer obtained after the force began, not before."""
    first = hosts(section(server.url, 5, redis_server.url))
    first.check()  # answers stored before the force: they do not count for it
    second = hosts(section(server.url, 5, redis_server.url))
    began = time.time()
    first.check(force=True)
    assert release_hits(server) == 10
    with second.http.forced(began):  # second's force began before first's answers came
        report = second.check(force=True)
    assert release_hits(server) == 10
    assert second.http.stats.shared_answers == 5
    assert remotes(report) == {f"t{i}": "1.1.0" for i in range(5)}
