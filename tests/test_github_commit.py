"""The ``github_commit`` check against a fake GitHub on 127.0.0.1."""

from __future__ import annotations

import time
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
from softwareupdate_core.models import VersionInformation
from softwareupdate_core.version_checks import github_commit
from tests.fakes.github import RESET_AT, FakeGitHub, mount_github
from tests.httpserver import FakeServer, Reply

TOKEN = "ghp_committoken"
USER, REPO = "someUser", "OctoPrint-SomePlugin"
SHA_A = "a" * 40
SHA_B = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def github(server: FakeServer) -> FakeGitHub:
    fake = mount_github(server, token=TOKEN)
    fake.add_repo(USER, REPO, branches={"master": SHA_A, "devel": SHA_B, "rc/devel": SHA_B})
    return fake


def run(github: FakeGitHub, http: HttpClient, **extra: Any) -> tuple[VersionInformation, bool]:
    credentials = extra.pop("credentials", None)
    online = extra.pop("online", True)
    check = {"type": "github_commit", "user": USER, "repo": REPO, "api_url": github.api_url}
    check.update(extra)
    return github_commit.get_latest(
        "some_plugin", check, online=online, credentials=credentials, http=http
    )


def test_default_branch_is_master(github: FakeGitHub, http: HttpClient) -> None:
    """Without ``branch`` the master branch's head commit is the remote version."""
    info, is_current = run(github, http, current=SHA_B)
    assert (info.remote.value, info.local.value, is_current) == (SHA_A, SHA_B, False)
    assert github.server.hits()[0].path == f"/repos/{USER}/{REPO}/commits/master"


def test_current_commit_is_current(github: FakeGitHub, http: HttpClient) -> None:
    """A ``current`` equal to the branch head (any case) is current."""
    assert run(github, http, branch="devel", current=SHA_B.upper())[1] is True


def test_unset_current_is_unknown_and_not_current(github: FakeGitHub, http: HttpClient) -> None:
    """Without ``current`` the local value is None and an update is offered."""
    info, is_current = run(github, http)
    assert (info.local.value, info.local.name, is_current) == (None, "unknown", False)


def test_branch_with_slash_is_one_path_segment(github: FakeGitHub, http: HttpClient) -> None:
    """A branch like ``rc/devel`` is sent percent-encoded, not as two path segments."""
    info, _ = run(github, http, branch="rc/devel")
    assert info.remote.value == SHA_B
    assert github.server.hits()[0].path == f"/repos/{USER}/{REPO}/commits/rc%2Fdevel"


def test_branch_that_is_a_dot_segment_is_refused(github: FakeGitHub, http: HttpClient) -> None:
    """A branch of ``..`` could walk to another endpoint, so it is a configuration error."""
    with pytest.raises(ConfigurationInvalid, match="branch"):
        run(github, http, branch="..")
    assert github.server.hits() == []


def test_unknown_branch_is_an_api_error(github: FakeGitHub, http: HttpClient) -> None:
    """A branch the API does not know gives ApiCheckError with the status."""
    with pytest.raises(ApiCheckError) as caught:
        run(github, http, branch="nope")
    assert caught.value.status == 404


def test_token_goes_as_bearer_header(github: FakeGitHub, http: HttpClient) -> None:
    """The GitHub token is sent as ``Authorization: Bearer`` to api_url."""
    run(github, http, credentials={"github": TOKEN})
    assert github.server.hits()[0].header("Authorization") == f"Bearer {TOKEN}"


def test_unchanged_branch_costs_a_free_304_with_token(github: FakeGitHub, http: HttpClient) -> None:
    """A repeated check is conditional: 304, same answer, not charged with a token."""
    first = run(github, http, credentials={"github": TOKEN})
    second = run(github, http, credentials={"github": TOKEN})
    assert first == second
    assert (github.not_modified, github.charged) == (1, 1)


def test_moved_branch_is_seen(github: FakeGitHub, http: HttpClient) -> None:
    """After a push the new head is reported although validators were stored."""
    run(github, http, current=SHA_A)
    github.set_branch(USER, REPO, "master", SHA_B)
    info, is_current = run(github, http, current=SHA_A)
    assert (info.remote.value, is_current) == (SHA_B, False)


@pytest.mark.parametrize(
    "data",
    [{"sha": "not-a-hash"}, {"sha": None}, {"nosha": SHA_A}, {"sha": "-" + "a" * 39}, [SHA_A]],
)
def test_malformed_commit_objects_are_check_errors(
    server: FakeServer, http: HttpClient, data: Any
) -> None:
    """A missing, non-hex or option-like sha, or a non-object answer, is a CheckError."""
    server.route(f"/repos/{USER}/{REPO}/commits/master", Reply.json(data))
    check = {"user": USER, "repo": REPO, "api_url": server.url}
    with pytest.raises(CheckError):
        github_commit.get_latest("t", check, http=http)


def test_rate_limited_is_a_rate_limit_error(github: FakeGitHub, http: HttpClient) -> None:
    """An exhausted anonymous quota gives RateLimitCheckError with the reset time."""
    github.anonymous.remaining = 0
    with pytest.raises(RateLimitCheckError) as caught:
        run(github, http)
    assert caught.value.reset == RESET_AT


def test_hanging_api_is_a_network_error(server: FakeServer) -> None:
    """An API that never answers gives NetworkError after the timeout."""
    server.route(f"/repos/{USER}/{REPO}/commits/master", Reply(200, "{}", delay=60))
    check = {"user": USER, "repo": REPO, "api_url": server.url}
    started = time.monotonic()
    with HttpClient(timeout=(1, 1)) as http, pytest.raises(NetworkError):
        github_commit.get_latest("t", check, http=http)
    assert time.monotonic() - started < 15


def test_offline_raises_cannot_check_offline(github: FakeGitHub, http: HttpClient) -> None:
    """Offline the check refuses without a request."""
    with pytest.raises(CannotCheckOffline):
        run(github, http, online=False)
    assert github.server.hits() == []


@pytest.mark.parametrize("missing", ["user", "repo"])
def test_mandatory_keys_are_named(http: HttpClient, missing: str) -> None:
    """A missing user or repo raises ConfigurationInvalid naming the key."""
    check = {"user": USER, "repo": REPO}
    del check[missing]
    with pytest.raises(ConfigurationInvalid, match=rf"checks\.t\.{missing}"):
        github_commit.get_latest("t", check, http=http)
