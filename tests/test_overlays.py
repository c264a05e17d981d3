"""Check overlays: applied to existing targets, cached for their TTL, ignored when unusable."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core import Manager
from softwareupdate_core.config.overlays import OVERLAY_KEYS, OVERLAYS_FILE, sanitize_overlay
from softwareupdate_core.config.validation import CHECK_KEY_TYPES
from tests.fakes.checks import ConfigProvider, FakeChecks, FakeClock
from tests.fakes.github import FakeRelease, mount_github
from tests.httpserver import FakeServer, Reply

CHECKS = {"a": {"type": "fake", "current": "1.0"}}  # the fake offers remote 1.0


class Offline:
    def is_online(self) -> bool:
        return False


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make(tmp_path: Path, server: FakeServer, clock: FakeClock) -> Iterator[Any]:
    made: list[Manager] = []

    def factory(host: object = None, **settings: Any) -> Manager:
        m = Manager(
            {
                "checks": CHECKS,
                "check_overlay_url": f"{server.url}/overlay.json",
                "check_overlay_ttl": 60,
                **settings,
            },
            data_folder=tmp_path / "data",
            plugins=[FakeChecks()],
            load_entrypoints=False,
            clock=clock,
            host=host,
        )
        made.append(m)
        return m

    yield factory
    for m in made:
        m.close()


def test_overlay_applies_to_existing_targets_only(make: Any, server: FakeServer) -> None:
    """An overlay changes a configured target and never adds a new one."""
    server.route("/overlay.json", {"a": {"displayName": "Moved"}, "stranger": {"repo": "x"}})
    m = make()
    assert set(m.effective_checks()) == {"a"}
    assert m.check().targets["a"].display_name == "Moved"


def test_overlay_is_cached_until_its_ttl_expires(
    make: Any, server: FakeServer, clock: FakeClock
) -> None:
    """The overlay is fetched once per TTL, also across Managers; expired it is fetched again."""
    data = {"a": {"repo": "two"}}
    server.route("/overlay.json", lambda _r: Reply.json(data))
    make().check()
    data["a"] = {"repo": "three"}
    clock.advance(59 * 60)
    assert make().effective_checks()["a"]["repo"] == "two"
    assert len(server.hits("/overlay.json")) == 1
    clock.advance(2 * 60)
    assert make().effective_checks()["a"]["repo"] == "three"
    assert len(server.hits("/overlay.json")) == 2


def test_force_refreshes_the_overlay(make: Any, server: FakeServer) -> None:
    """check(force=True) fetches the overlay again even while it is valid."""
    server.route("/overlay.json", {"a": {"repo": "moved"}})
    m = make()
    m.check()
    m.check(force=True)
    assert len(server.hits("/overlay.json")) == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, "this is not json"),
        Reply.json(["a", "list"]),
        Reply(500, "server error"),
    ],
)
def test_unusable_overlay_is_ignored_with_a_logged_reason(
    make: Any, server: FakeServer, reply: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    """A malformed or failing overlay leaves the configs as they are and logs why."""
    server.route("/overlay.json", reply)
    with caplog.at_level(logging.WARNING):
        report = make().check()
    assert report.targets["a"].remote_version == "1.0"
    assert "check overlays" in caplog.text
    make().check()
    assert len(server.hits("/overlay.json")) == 1  # not retried before the TTL runs out


def test_unreachable_overlay_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A connection failure to the overlay URL is logged, and the round goes on."""
    with (
        caplog.at_level(logging.INFO),
        Manager(
            {"checks": CHECKS, "check_overlay_url": "http://127.0.0.1:9/overlay.json"},
            data_folder=tmp_path,
            plugins=[FakeChecks()],
            load_entrypoints=False,
        ) as m,
    ):
        assert m.check().targets["a"].error is None
    assert "check overlays" in caplog.text


def test_offline_host_does_not_fetch_overlays(make: Any, server: FakeServer) -> None:
    """Offline, the overlay is not fetched and not applied."""
    server.route("/overlay.json", {"a": {"repo": "moved"}})
    assert "repo" not in make(host=Offline()).effective_checks()["a"]
    assert server.hits("/overlay.json") == []


# -- what an overlay may change ------------------------------------------------------------


def test_overlay_cannot_send_the_github_token_elsewhere(
    tmp_path: Path, server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    """An overlay's api_url is dropped: the token still goes only to the configured API."""
    honest = FakeServer().start()
    try:
        github = mount_github(honest, token="ghp_secret")
        github.add_repo("u", "r", [FakeRelease("2.0.0")])
        server.route("/overlay.json", {"t": {"api_url": f"{server.url}/evil", "repo": "r"}})
        provider = ConfigProvider(
            {
                "t": {
                    "type": "github_release",
                    "user": "u",
                    "repo": "x",
                    "api_url": honest.url,
                    "current": "1.0.0",
                }
            }
        )
        with (
            caplog.at_level(logging.WARNING),
            Manager(
                {
                    "check_overlay_url": f"{server.url}/overlay.json",
                    "credentials": {"github": "ghp_secret"},
                },
                data_folder=tmp_path,
                plugins=[provider],
                load_entrypoints=False,
            ) as m,
        ):
            assert m.effective_checks()["t"]["api_url"] == honest.url
            report = m.check()
        assert report.targets["t"].remote_version == "2.0.0"
        assert [r.path for r in server.hits()] == ["/overlay.json"]
        # with a token the cold check goes in a GraphQL batch to the same, honest API
        sent = [r.header("Authorization") for r in honest.hits()]
        assert sent and set(sent) == {"Bearer ghp_secret"}
    finally:
        honest.stop()
    assert "'t'" in caplog.text and "api_url" in caplog.text


def test_disallowed_keys_are_dropped_with_one_warning(
    make: Any, server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    """update_script, type, command and pip_command from an overlay never reach the check."""
    hostile = {
        "update_script": "rm -rf ~",
        "type": "fake_http",
        "command": ["sh", "-c", "evil"],
        "pip_command": "/tmp/evil/pip",
        "repo": "moved",
    }
    server.route("/overlay.json", {"a": hostile})
    with caplog.at_level(logging.WARNING):
        check = make().effective_checks()["a"]
    assert check["type"] == "fake" and check["repo"] == "moved"
    assert not {"update_script", "command", "pip_command"} & set(check)
    warnings = [r.getMessage() for r in caplog.records if r.name.endswith("overlays")]
    assert len(warnings) == 1
    assert "'a'" in warnings[0]
    for key in ("update_script", "type", "command", "pip_command"):
        assert key in warnings[0]


def test_allowed_repo_and_pip_apply(make: Any, server: FakeServer) -> None:
    """The keys overlays exist for (a moved repository, a new archive URL) are applied."""
    pip = "https://github.com/new/Plugin/archive/{target_version}.zip"
    server.route("/overlay.json", {"a": {"user": "new", "repo": "Plugin", "pip": pip}})
    check = make().effective_checks()["a"]
    assert (check["user"], check["repo"], check["pip"]) == ("new", "Plugin", pip)


@pytest.mark.parametrize(
    "pip",
    [
        "https://github.com/a/b/archive/{target_version}.zip",
        "OctoPrint-Plugin=={target_version}",
        "pip>=19",
        "name[extra]==1.0",
    ],
)
def test_good_pip_values_are_kept(pip: str) -> None:
    """An https URL or a plain requirement is a usable overlay pip value."""
    assert sanitize_overlay("t", {"pip": pip}) == {"pip": pip}


@pytest.mark.parametrize(
    "pip",
    [
        "http://example.com/plain-http.zip",
        "file:///etc/passwd",
        "git+https://example.com/repo.git",
        "-e git+https://example.com/x",
        "--index-url=https://evil.example",
        "/tmp/evil.whl",
        "../evil.whl",
        "name==1.0 --pre",
        "https://example.com/a.zip\n--pre",
        "",
    ],
)
def test_unsafe_pip_values_are_dropped(pip: str, caplog: pytest.LogCaptureFixture) -> None:
    """A pip value that is an option, a path, another scheme or has whitespace is dropped."""
    with caplog.at_level(logging.WARNING):
        assert sanitize_overlay("t", {"pip": pip, "repo": "r"}) == {"repo": "r"}
    assert "pip" in caplog.text


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("repo", 5),
        ("user", None),
        ("disabled", "yes"),
        ("compatible", 1),
        ("prerelease_branches", {"branch": "rc"}),
        ("stable_branch", {"branch": "main", "commitish": 5}),
        ("stable_branch", {"name": "no branch"}),
    ],
)
def test_wrongly_typed_values_are_dropped(key: str, value: Any) -> None:
    """An allowed key with a value of the wrong type is dropped; the others stay."""
    assert sanitize_overlay("t", {key: value, "branch": "main"}) == {"branch": "main"}


def test_every_allowed_key_has_a_known_type() -> None:
    """Each allowed overlay key is type-checked by the settings validator."""
    assert set(CHECK_KEY_TYPES) >= OVERLAY_KEYS


def test_stored_overlays_are_sanitised_when_read(
    make: Any, server: FakeServer, tmp_path: Path
) -> None:
    """Overlays stored by an older version are filtered again when read from the data folder."""
    server.route("/overlay.json", {"a": {"repo": "moved"}})
    make().check()
    path = tmp_path / "data" / OVERLAYS_FILE
    document = json.loads(path.read_text(encoding="utf-8"))
    document["data"]["overlays"]["a"]["update_script"] = "rm -rf ~"
    path.write_text(json.dumps(document), encoding="utf-8")
    check = make().effective_checks()["a"]
    assert check["repo"] == "moved" and "update_script" not in check
    assert len(server.hits("/overlay.json")) == 1
