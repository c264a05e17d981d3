"""The gitlab_release check against a fake GitLab API v4 on 127.0.0.1."""

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
from softwareupdate_core.version_checks import gitlab_release as check_type
from tests.fakes.forges import FakeGitLab, gitlab_release
from tests.httpserver import FakeServer, Reply


@pytest.fixture
def gitlab(server: FakeServer) -> FakeGitLab:
    return FakeGitLab(server)


def _check(gitlab: FakeGitLab, **extra: Any) -> dict[str, Any]:
    base = {"type": "gitlab_release", "api_url": gitlab.api_url, "project": "group/tool"}
    return {**base, "current": "0.0.1", **extra}


def test_newest_published_release_is_offered(gitlab: FakeGitLab, http: HttpClient) -> None:
    """Upcoming releases and pre-release tags are skipped; the newest other tag is offered."""
    path = gitlab.set_releases(
        "group/tool",
        [
            gitlab_release("3.0.0", upcoming=True),
            gitlab_release("2.1.0rc1"),
            gitlab_release("v2.0.0"),
            gitlab_release("1.9.0"),
        ],
    )
    info, is_current = check_type.get_latest("tool", _check(gitlab, current="1.9.0"), http=http)
    assert (info.remote.value, is_current) == ("v2.0.0", False)
    assert info.remote.release_notes == "https://gitlab.example/group/project/-/releases/v2.0.0"
    assert gitlab.server.hits(path)[0].path == "/gitlab/api/v4/projects/group%2Ftool/releases"


def test_prerelease_true_includes_prerelease_tags(gitlab: FakeGitLab, http: HttpClient) -> None:
    """With ``prerelease: true`` a PEP 440 pre-release tag may be offered."""
    gitlab.set_releases("group/tool", [gitlab_release("2.1.0rc1"), gitlab_release("2.0.0")])
    info, _ = check_type.get_latest(
        "tool", _check(gitlab, current="2.0.0", prerelease=True), http=http
    )
    assert info.remote.value == "2.1.0rc1"


def test_equal_release_is_current_numeric_project(gitlab: FakeGitLab, http: HttpClient) -> None:
    """A numeric project id (even as a YAML integer) works and an equal version is current."""
    gitlab.set_releases("4711", [gitlab_release("2.0.0")])
    _info, is_current = check_type.get_latest(
        "tool", _check(gitlab, project=4711, current="2.0"), http=http
    )
    assert is_current


def test_description_is_release_notes_without_link(gitlab: FakeGitLab, http: HttpClient) -> None:
    """Without ``_links.self`` the description is the release notes."""
    gitlab.set_releases(
        "group/tool", [gitlab_release("2.0.0", self_link=False, description="Fixed things")]
    )
    info, _ = check_type.get_latest("tool", _check(gitlab), http=http)
    assert info.remote.release_notes == "Fixed things"


def test_pagination_follows_next_links(gitlab: FakeGitLab, http: HttpClient) -> None:
    """Releases on later pages count; paging stops at max_pages."""
    gitlab.default_per_page = 100
    releases = [gitlab_release(f"1.{i}.0") for i in reversed(range(250))]
    path = gitlab.set_releases("group/tool", releases)
    info, _ = check_type.get_latest("tool", _check(gitlab, current="1.0.0"), http=http)
    assert info.remote.value == "1.249.0"
    assert [r.query.get("page") for r in gitlab.server.hits(path)] == [None, ["2"], ["3"]]
    gitlab.server.reset_counts()
    check_type.get_latest("tool", _check(gitlab, max_pages=1), http=http)
    assert len(gitlab.server.hits(path)) == 1


def test_token_sent_as_bearer(gitlab: FakeGitLab, http: HttpClient) -> None:
    """credentials.gitlab is sent as an Authorization bearer token to the API host."""
    gitlab.token = "glpat-secret"
    path = gitlab.set_releases("group/tool", [gitlab_release("2.0.0")])
    info, _ = check_type.get_latest(
        "tool", _check(gitlab), credentials={"gitlab": "glpat-secret"}, http=http
    )
    assert info.remote.value == "2.0.0"
    assert gitlab.server.hits(path)[0].header("Authorization") == "Bearer glpat-secret"


def test_wrong_token_is_api_error_without_secret(gitlab: FakeGitLab, http: HttpClient) -> None:
    """A 401 answer becomes ApiCheckError whose message does not contain the token."""
    gitlab.token = "right"
    gitlab.set_releases("group/tool", [gitlab_release("2.0.0")])
    with pytest.raises(ApiCheckError, match="401") as caught:
        check_type.get_latest(
            "tool", _check(gitlab), credentials={"gitlab": "wrong-tok"}, http=http
        )
    assert "wrong-tok" not in str(caught.value)


def test_token_not_sent_to_other_hosts(
    gitlab: FakeGitLab, http: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither a redirect nor a next link hands the token to another host.

    A next link to another host ends the paging with a warning naming the target; the
    releases already read still count.
    """
    other = FakeServer(host="localhost").start()
    try:
        elsewhere = FakeGitLab(other)
        target = other.url + elsewhere.set_releases("group/tool", [gitlab_release("2.0.0")])
        gitlab.server.route(
            gitlab.releases_path("group/tool"), Reply(301, "", {"Location": target})
        )
        info, _ = check_type.get_latest(
            "tool", _check(gitlab), credentials={"gitlab": "tok"}, http=http
        )
        assert info.remote.value == "2.0.0"
        assert [(r.header("Authorization"), r.header("PRIVATE-TOKEN")) for r in other.hits()] == [
            (None, None)
        ]
        gitlab.server.route(
            gitlab.releases_path("group/tool"),
            Reply.json(
                [gitlab_release("1.5.0")], headers={"Link": f'<{target}?page=2>; rel="next"'}
            ),
        )
        with caplog.at_level("WARNING"):
            info, _ = check_type.get_latest(
                "tool", _check(gitlab), credentials={"gitlab": "tok"}, http=http
            )
        assert info.remote.value == "1.5.0"
        assert len(other.hits()) == 1
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1 and warnings[0].startswith("tool: not following")
    finally:
        other.stop()


def test_offline_raises_without_request(gitlab: FakeGitLab, http: HttpClient) -> None:
    """Offline the check raises CannotCheckOffline and sends nothing."""
    with pytest.raises(CannotCheckOffline):
        check_type.get_latest("tool", _check(gitlab), online=False, http=http)
    assert gitlab.server.hits() == []


@pytest.mark.parametrize(
    ("reply", "error", "fragment"),
    [
        (
            Reply.json({"message": "404 Project Not Found"}, status=404),
            ApiCheckError,
            "Project Not Found",
        ),
        (
            Reply(503, "<!DOCTYPE html><html>down</html>", {"Content-Type": "text/html"}),
            ApiCheckError,
            "HTML page",
        ),
        (Reply(200, "{broken", {"Content-Type": "application/json"}), CheckError, "not valid JSON"),
        (Reply.json({"message": "nope"}), CheckError, "got a JSON dict"),
        (Reply.json([None]), CheckError, "got a NoneType in the list"),
        (
            Reply.json(
                {"message": "Retry later"},
                status=429,
                headers={
                    "RateLimit-Limit": "600",
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": "1999999999",
                    "Retry-After": "60",
                },
            ),
            RateLimitCheckError,
            "0/600 left",
        ),
    ],
)
def test_bad_answers(
    gitlab: FakeGitLab, http: HttpClient, reply: Reply, error: type[Exception], fragment: str
) -> None:
    """Error statuses, HTML, wrong shapes and rate limits raise the matching error class."""
    gitlab.server.route(gitlab.releases_path("group/tool"), reply)
    with pytest.raises(error, match=fragment) as caught:
        check_type.get_latest("tool", _check(gitlab, current="1.0"), http=http)
    assert type(caught.value) is error


def test_rate_limit_headers_fill_the_error(gitlab: FakeGitLab, http: HttpClient) -> None:
    """GitLab's RateLimit-* headers become remaining/limit/reset of RateLimitCheckError."""
    reset = int(time.time()) + 3600
    gitlab.server.route(
        gitlab.releases_path("group/tool"),
        Reply.json(
            {"message": "Retry later"},
            status=429,
            headers={
                "RateLimit-Limit": "600",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(reset),
            },
        ),
    )
    with pytest.raises(RateLimitCheckError) as caught:
        check_type.get_latest("tool", _check(gitlab), http=http)
    assert (caught.value.remaining, caught.value.limit, caught.value.reset) == (
        0,
        600,
        float(reset),
    )


def test_hanging_server_gives_up(gitlab: FakeGitLab) -> None:
    """A server that never answers becomes NetworkError once the read timeout passes."""
    gitlab.server.route(gitlab.releases_path("group/tool"), Reply.json([], delay=30))
    client = HttpClient(timeout=(1.0, 0.5))
    try:
        with pytest.raises(NetworkError, match="timeout"):
            check_type.get_latest("tool", _check(gitlab), http=client)
    finally:
        client.close()


def test_no_release_tag_is_a_version(gitlab: FakeGitLab, http: HttpClient) -> None:
    """Releases whose tags are no versions under python compare are a CheckError naming them."""
    gitlab.set_releases("group/tool", [gitlab_release("nightly"), gitlab_release("latest")])
    with pytest.raises(CheckError, match="nightly"):
        check_type.get_latest("tool", _check(gitlab, current="1.0"), http=http)


@pytest.mark.parametrize(
    ("check", "key"),
    [
        ({}, "project"),
        ({"project": ""}, "project"),
        ({"project": ["a"]}, "project"),
        ({"project": ".."}, "project"),
        ({"project": "a/b", "api_url": "gitlab.com/api/v4"}, "api_url"),
        ({"project": "a/b", "max_pages": "ten"}, "max_pages"),
    ],
)
def test_broken_config_names_the_key(http: HttpClient, check: dict[str, Any], key: str) -> None:
    """A missing or mistyped key raises ConfigurationInvalid naming checks.<target>.<key>."""
    with pytest.raises(ConfigurationInvalid, match=rf"checks\.tool\.{key}"):
        check_type.get_latest("tool", check, http=http)
