"""The bitbucket_commit check against a fake Bitbucket 2.0 API on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

from softwareupdate_core.exceptions import (
    ApiCheckError,
    CannotCheckOffline,
    CheckError,
    ConfigurationInvalid,
    NetworkError,
    RateLimitCheckError,
)
from softwareupdate_core.http import HttpClient
from softwareupdate_core.version_checks import bitbucket_commit
from tests.fakes.forges import FakeBitbucket
from tests.httpserver import FakeServer, Reply

HASH_A = "a" * 40
HASH_B = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def bitbucket(server: FakeServer) -> FakeBitbucket:
    return FakeBitbucket(server)


def _check(bitbucket: FakeBitbucket, **extra: Any) -> dict[str, Any]:
    return {
        "type": "bitbucket_commit",
        "user": "me",
        "repo": "plugin",
        "api_url": bitbucket.api_url,
        **extra,
    }


def test_new_commit_is_an_update(bitbucket: FakeBitbucket, http: HttpClient) -> None:
    """A branch head different from ``current`` is reported as newer, with its web page."""
    bitbucket.add_commit("me", "plugin", "master", HASH_B)
    info, is_current = bitbucket_commit.get_latest(
        "plugin", _check(bitbucket, current=HASH_A), http=http
    )
    assert not is_current
    assert (info.local.value, info.remote.value) == (HASH_A, HASH_B)
    assert info.remote.release_notes == f"https://bitbucket.example/me/plugin/commits/{HASH_B}"


def test_same_commit_is_current_and_branch_is_used(
    bitbucket: FakeBitbucket, http: HttpClient
) -> None:
    """The configured branch is asked for and an equal hash means current."""
    path = bitbucket.add_commit("me", "plugin", "devel", HASH_B)
    _info, is_current = bitbucket_commit.get_latest(
        "plugin", _check(bitbucket, branch="devel", current=HASH_B), http=http
    )
    assert is_current
    assert len(bitbucket.server.hits(path)) == 1


def test_unknown_current_is_an_update(bitbucket: FakeBitbucket, http: HttpClient) -> None:
    """Without a recorded ``current`` the remote head counts as an update, shown as unknown."""
    bitbucket.add_commit("me", "plugin", "master", HASH_B)
    info, is_current = bitbucket_commit.get_latest("plugin", _check(bitbucket), http=http)
    assert not is_current
    assert info.local.value is None and info.local.name == "unknown"


def test_offline_raises_without_request(bitbucket: FakeBitbucket, http: HttpClient) -> None:
    """Offline the check raises CannotCheckOffline and sends nothing."""
    bitbucket.add_commit("me", "plugin", "master", HASH_B)
    with pytest.raises(CannotCheckOffline):
        bitbucket_commit.get_latest("plugin", _check(bitbucket), online=False, http=http)
    assert bitbucket.server.hits() == []


def test_global_credentials_sent_as_basic_auth(bitbucket: FakeBitbucket, http: HttpClient) -> None:
    """The global bitbucket_user/bitbucket_password reach a private repository as basic auth."""
    bitbucket.basic_auth = ("alice", "app-pass")
    bitbucket.add_commit("me", "plugin", "master", HASH_B)
    creds = {"bitbucket_user": "alice", "bitbucket_password": "app-pass"}
    info, _ = bitbucket_commit.get_latest("plugin", _check(bitbucket), credentials=creds, http=http)
    assert info.remote.value == HASH_B


def test_per_check_credentials_win(bitbucket: FakeBitbucket, http: HttpClient) -> None:
    """Per-check api_user/api_password are used instead of the global ones."""
    bitbucket.basic_auth = ("bob", "check-pass")
    bitbucket.add_commit("me", "plugin", "master", HASH_B)
    creds = {"bitbucket_user": "alice", "bitbucket_password": "app-pass"}
    check = _check(bitbucket, api_user="bob", api_password="check-pass")
    info, _ = bitbucket_commit.get_latest("plugin", check, credentials=creds, http=http)
    assert info.remote.value == HASH_B


def test_wrong_credentials_are_an_api_error_without_secret(
    bitbucket: FakeBitbucket, http: HttpClient
) -> None:
    """A 401 answer becomes ApiCheckError whose message does not contain the password."""
    bitbucket.basic_auth = ("alice", "right")
    bitbucket.add_commit("me", "plugin", "master", HASH_B)
    check = _check(bitbucket, api_user="alice", api_password="wrong-secret")
    with pytest.raises(ApiCheckError) as caught:
        bitbucket_commit.get_latest("plugin", check, http=http)
    assert caught.value.status == 401
    assert "Access denied" in str(caught.value)
    assert "wrong-secret" not in str(caught.value)


def test_half_configured_credentials_rejected(bitbucket: FakeBitbucket, http: HttpClient) -> None:
    """api_user without api_password is a configuration error naming the missing key."""
    with pytest.raises(ConfigurationInvalid, match=r"checks\.plugin\.api_password"):
        bitbucket_commit.get_latest("plugin", _check(bitbucket, api_user="bob"), http=http)


def test_credentials_not_sent_to_redirected_host(
    bitbucket: FakeBitbucket, http: HttpClient
) -> None:
    """A redirect to another host does not carry the basic-auth credentials along."""
    other = FakeServer(host="localhost").start()
    try:
        elsewhere = FakeBitbucket(other)
        elsewhere.add_commit("me", "plugin", "master", HASH_B)
        bitbucket.server.route(
            bitbucket.commit_path("me", "plugin", "master"),
            Reply(
                302, "", {"Location": other.url + elsewhere.commit_path("me", "plugin", "master")}
            ),
        )
        check = _check(bitbucket, api_user="bob", api_password="check-pass")
        info, _ = bitbucket_commit.get_latest("plugin", check, http=http)
        assert info.remote.value == HASH_B
        assert bitbucket.server.hits()[0].header("Authorization") is not None
        assert [r.header("Authorization") for r in other.hits()] == [None]
    finally:
        other.stop()


@pytest.mark.parametrize(
    ("reply", "error", "fragment"),
    [
        (
            Reply.json({"type": "error", "error": {"message": "Repository not found"}}, status=404),
            ApiCheckError,
            "Repository not found",
        ),
        (
            Reply(500, "<html><body>Internal</body></html>", {"Content-Type": "text/html"}),
            ApiCheckError,
            "HTML page",
        ),
        (Reply(200, "<html>login</html>", {"Content-Type": "text/html"}), CheckError, "hash"),
        (Reply.json(["not", "an", "object"]), CheckError, "got a JSON list"),
        (Reply.json({"hash": 12345}), CheckError, "got a int"),
        (Reply.json({"type": "commit"}), CheckError, "got nothing"),
        (Reply.json({"hash": "--upgrade-strategy=eager"}), CheckError, "hexadecimal"),
        (Reply.json({"hash": "abc\n; rm -rf /"}), CheckError, "hexadecimal"),
        (
            Reply.json({"message": "slow down"}, status=429, headers={"Retry-After": "120"}),
            RateLimitCheckError,
            "rate limit",
        ),
    ],
)
def test_bad_answers_become_clear_errors(
    bitbucket: FakeBitbucket,
    http: HttpClient,
    reply: Reply,
    error: type[Exception],
    fragment: str,
) -> None:
    """Error statuses, HTML, wrong shapes and hostile hashes raise the matching error class."""
    bitbucket.server.route(bitbucket.commit_path("me", "plugin", "master"), reply)
    with pytest.raises(error, match=fragment) as caught:
        bitbucket_commit.get_latest("plugin", _check(bitbucket, current=HASH_A), http=http)
    assert type(caught.value) is error


def test_rate_limit_reset_from_retry_after(bitbucket: FakeBitbucket, http: HttpClient) -> None:
    """A 429 answer's Retry-After becomes the error's reset time."""
    bitbucket.server.route(
        bitbucket.commit_path("me", "plugin", "master"),
        Reply.json({"message": "too many"}, status=429, headers={"Retry-After": "60"}),
    )
    before = http.clock()
    with pytest.raises(RateLimitCheckError) as caught:
        bitbucket_commit.get_latest("plugin", _check(bitbucket), http=http)
    assert caught.value.reset is not None and caught.value.reset >= before + 59


def test_unreachable_api_is_a_network_error(http: HttpClient) -> None:
    """A closed port becomes NetworkError."""
    dead = FakeServer().start()
    url = dead.url
    dead.stop()
    check = {"user": "me", "repo": "plugin", "api_url": url}
    with pytest.raises(NetworkError):
        bitbucket_commit.get_latest("plugin", check, http=http)


def test_hostile_names_stay_in_their_path_segment(
    bitbucket: FakeBitbucket, http: HttpClient
) -> None:
    """User, repo and branch are quoted, so ``..`` or ``?`` cannot reach another endpoint."""
    bitbucket.add_commit("me", "plugin", "master", HASH_B)
    check = _check(bitbucket, user="me#", repo="plugin/commit/master?x=", branch="a/b")
    with pytest.raises(ApiCheckError) as caught:
        bitbucket_commit.get_latest("plugin", check, http=http)
    assert caught.value.status == 404
    assert bitbucket.server.hits()[0].path.endswith(
        "/me%23/plugin%2Fcommit%2Fmaster%3Fx%3D/commit/a%2Fb"
    )


@pytest.mark.parametrize(
    ("check", "key"),
    [
        ({"repo": "plugin"}, "user"),
        ({"user": "me"}, "repo"),
        ({"user": "", "repo": "plugin"}, "user"),
        ({"user": ["me"], "repo": "plugin"}, "user"),
        ({"user": "me", "repo": "plugin", "api_url": "file:///etc/passwd"}, "api_url"),
        ({"user": "me", "repo": "plugin", "branch": {"x": 1}}, "branch"),
        ({"user": "..", "repo": "plugin"}, "user"),
        ({"user": "me", "repo": "plugin", "branch": "."}, "branch"),
    ],
)
def test_broken_config_names_the_key(http: HttpClient, check: dict[str, Any], key: str) -> None:
    """A missing or mistyped key raises ConfigurationInvalid naming checks.<target>.<key>."""
    with pytest.raises(ConfigurationInvalid, match=rf"checks\.plugin\.{key}"):
        bitbucket_commit.get_latest("plugin", check, http=http)
