"""The forgejo_release/forgejo_commit checks (and codeberg_* aliases) against a fake Forgejo."""

from __future__ import annotations

from typing import Any

import pytest

from softwareupdate_core.exceptions import (
    ApiCheckError,
    CannotCheckOffline,
    CheckError,
    ConfigurationInvalid,
    RateLimitCheckError,
)
from softwareupdate_core.http import HttpClient
from softwareupdate_core.version_checks import BUILTIN_TYPES, _forgejo, forgejo_commit
from softwareupdate_core.version_checks import forgejo_release as release_check
from tests.fakes.forges import FakeForgejo, forgejo_release
from tests.httpserver import FakeServer, Reply

HEAD = "0123456789abcdef0123456789abcdef01234567"
OLD = "f" * 40


@pytest.fixture
def forge(server: FakeServer) -> FakeForgejo:
    return FakeForgejo(server)


def _check(forge: FakeForgejo, **extra: Any) -> dict[str, Any]:
    return {
        "type": "forgejo_release",
        "forge": forge.api_url,
        "user": "me",
        "repo": "tool",
        "current": "0.0.1",
        **extra,
    }


def _releases(n: int) -> list[dict[str, Any]]:
    """``n`` stable releases 1.0.n-1 ... 1.0.0, newest first as Forgejo lists them."""
    return [forgejo_release(f"1.0.{i}", release_id=i) for i in reversed(range(n))]


def test_newer_release_is_an_update(forge: FakeForgejo, http: HttpClient) -> None:
    """The newest non-draft, non-prerelease tag is offered when it is above ``current``."""
    forge.set_releases(
        "me",
        "tool",
        [
            forgejo_release("2.0.0", draft=True),
            forgejo_release("1.5.0rc1", prerelease=True),
            forgejo_release("1.4.0"),
            forgejo_release("1.3.0"),
        ],
    )
    info, is_current = release_check.get_latest("tool", _check(forge, current="1.3.0"), http=http)
    assert not is_current
    assert info.remote.value == "1.4.0"
    assert info.remote.release_notes == "https://forge.example/owner/repo/releases/tag/1.4.0"


def test_equal_release_is_current(forge: FakeForgejo, http: HttpClient) -> None:
    """``current`` equal to the newest release means current."""
    forge.set_releases("me", "tool", [forgejo_release("v1.4.0")])
    _info, is_current = release_check.get_latest("tool", _check(forge, current="1.4.0"), http=http)
    assert is_current


def test_prerelease_channel_filters_by_commitish(forge: FakeForgejo, http: HttpClient) -> None:
    """With prerelease and a channel, only releases tagged on that channel's commitish count."""
    forge.set_releases(
        "me",
        "tool",
        [
            forgejo_release("2.0.0rc1", prerelease=True, target_commitish="devel"),
            forgejo_release("1.5.0rc1", prerelease=True, target_commitish="rc/maintenance"),
            forgejo_release("1.4.0", target_commitish="main"),
        ],
    )
    check = _check(
        forge,
        current="1.4.0",
        prerelease=True,
        prerelease_channel="maintenance",
        stable_branch={"branch": "main", "name": "Stable"},
        prerelease_branches=[
            {
                "branch": "maintenance",
                "name": "Maintenance RCs",
                "commitish": ["rc/maintenance", "main"],
            },
            {"branch": "devel", "name": "Devel RCs"},
        ],
    )
    info, is_current = release_check.get_latest("tool", check, http=http)
    assert (info.remote.value, is_current) == ("1.5.0rc1", False)


def test_release_compare_unequal_and_force_base(forge: FakeForgejo, http: HttpClient) -> None:
    """release_compare and force_base from the check decide is-current."""
    forge.set_releases("me", "tool", [forgejo_release("1.4.0")])
    _i, unequal = release_check.get_latest(
        "tool", _check(forge, current="1.5.0", release_compare="unequal"), http=http
    )
    _i, based = release_check.get_latest(
        "tool", _check(forge, current="1.4.0.dev3", force_base=True), http=http
    )
    assert (unequal, based) == (False, True)


def test_pages_followed_up_to_max_pages(forge: FakeForgejo, http: HttpClient) -> None:
    """Link rel=next is followed, and no further than max_pages pages."""
    forge.default_limit = 50
    path = forge.set_releases("me", "tool", _releases(120))
    info, _ = release_check.get_latest("tool", _check(forge, current="0.1"), http=http)
    assert info.remote.value == "1.0.119"
    assert len(forge.server.hits(path)) == 3
    forge.server.reset_counts()
    release_check.get_latest("tool", _check(forge, current="0.1", max_pages=2), http=http)
    assert len(forge.server.hits(path)) == 2


def test_no_releases_is_current(forge: FakeForgejo, http: HttpClient) -> None:
    """A repository without (non-draft) releases offers nothing, so the target is current."""
    forge.set_releases("me", "tool", [forgejo_release("9.9", draft=True)])
    info, is_current = release_check.get_latest("tool", _check(forge, current="1.0"), http=http)
    assert is_current and info.remote.value is None


def test_codeberg_alias_defaults_to_codeberg() -> None:
    """A codeberg_* check without forge means https://codeberg.org/api/v1, with its token."""
    assert BUILTIN_TYPES["codeberg_release"] == "forgejo_release"
    creds = {"forgejo": {"codeberg": "cb-token"}}
    resolved = _forgejo.forge_from("t", {"type": "codeberg_release"}, creds)
    assert resolved.api_url == "https://codeberg.org/api/v1"
    assert resolved.headers()["Authorization"] == "token cb-token"
    assert "cb-token" not in repr(resolved)


@pytest.mark.parametrize(
    ("written", "api_url"),
    [
        ("Codeberg", "https://codeberg.org/api/v1"),
        ("https://git.example.org", "https://git.example.org/api/v1"),
        ("https://example.org/git/api/v1/", "https://example.org/git/api/v1"),
    ],
)
def test_forge_names_and_urls_resolve(written: str, api_url: str) -> None:
    """Known names, bare site URLs and API base URLs resolve to the API base URL."""
    assert _forgejo.forge_from("t", {"forge": written}, None).api_url == api_url


def test_token_found_by_api_url(forge: FakeForgejo, http: HttpClient) -> None:
    """A token keyed by the forge's API base URL is sent as ``Authorization: token``."""
    forge.token = "s3cret"
    path = forge.set_releases("me", "tool", [forgejo_release("1.4.0")])
    creds = {"forgejo": {forge.api_url: "s3cret", "codeberg": "other"}}
    info, _ = release_check.get_latest("tool", _check(forge), credentials=creds, http=http)
    assert info.remote.value == "1.4.0"
    assert forge.server.hits(path)[0].header("Authorization") == "token s3cret"


def test_missing_token_is_an_api_error(forge: FakeForgejo, http: HttpClient) -> None:
    """A private repository without our token answers 401: ApiCheckError with the API's message."""
    forge.token = "s3cret"
    forge.set_releases("me", "tool", [forgejo_release("1.4.0")])
    creds = {"forgejo": {"codeberg": "s3cret"}}
    with pytest.raises(ApiCheckError, match="token is required") as caught:
        release_check.get_latest("tool", _check(forge), credentials=creds, http=http)
    assert caught.value.status == 401


def test_token_not_sent_to_other_hosts(
    forge: FakeForgejo, http: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A next link or a redirect to another host never receives the token.

    A next link to another host ends the paging with a warning naming the target; the
    releases already read still count.
    """
    other = FakeServer(host="localhost").start()
    try:
        elsewhere = FakeForgejo(other)
        elsewhere.set_releases("me", "tool", [forgejo_release("1.4.0")])
        creds = {"forgejo": {forge.api_url: "s3cret"}}
        forge.server.route(
            forge.releases_path("me", "tool"),
            Reply.json(
                [forgejo_release("1.2.0")],
                headers={"Link": f'<{elsewhere.api_url}/repos/me/tool/releases>; rel="next"'},
            ),
        )
        with caplog.at_level("WARNING"):
            info, _ = release_check.get_latest("tool", _check(forge), credentials=creds, http=http)
        assert info.remote.value == "1.2.0"
        assert other.hits() == []
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1 and warnings[0].startswith("tool: not following")
        forge.server.route(
            forge.releases_path("me", "tool"),
            Reply(302, "", {"Location": f"{elsewhere.api_url}/repos/me/tool/releases"}),
        )
        info, _ = release_check.get_latest("tool", _check(forge), credentials=creds, http=http)
        assert info.remote.value == "1.4.0"
        assert [r.header("Authorization") for r in other.hits()] == [None]
    finally:
        other.stop()


def test_offline_raises_without_request(forge: FakeForgejo, http: HttpClient) -> None:
    """Offline both check types raise CannotCheckOffline and send nothing."""
    with pytest.raises(CannotCheckOffline):
        release_check.get_latest("tool", _check(forge), online=False, http=http)
    with pytest.raises(CannotCheckOffline):
        forgejo_commit.get_latest("tool", _check(forge), online=False, http=http)
    assert forge.server.hits() == []


@pytest.mark.parametrize(
    ("reply", "error", "fragment"),
    [
        (
            Reply.json({"message": "The target couldn't be found."}, status=404),
            ApiCheckError,
            "couldn't be found",
        ),
        (
            Reply(502, "<html>Bad gateway</html>", {"Content-Type": "text/html"}),
            ApiCheckError,
            "HTML page",
        ),
        (
            Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"}),
            CheckError,
            "not valid JSON",
        ),
        (Reply.json({"tag_name": "1.0"}), CheckError, "got a JSON dict"),
        (Reply.json(["1.0", "2.0"]), CheckError, "got a str in the list"),
        (
            Reply.json(
                {"message": "rate limited"},
                status=429,
                headers={"RateLimit-Remaining": "0", "RateLimit-Reset": "30"},
            ),
            RateLimitCheckError,
            "rate limit",
        ),
    ],
)
def test_release_bad_answers(
    forge: FakeForgejo, http: HttpClient, reply: Reply, error: type[Exception], fragment: str
) -> None:
    """Error statuses, HTML, wrong shapes and rate limits raise the matching error class."""
    forge.server.route(forge.releases_path("me", "tool"), reply)
    with pytest.raises(error, match=fragment) as caught:
        release_check.get_latest("tool", _check(forge, current="1.0"), http=http)
    assert type(caught.value) is error


def test_hostile_tags_are_ignored(forge: FakeForgejo, http: HttpClient) -> None:
    """Tags that look like options or carry control characters are skipped, not offered."""
    forge.set_releases(
        "me",
        "tool",
        [
            forgejo_release("--index-url=http://evil"),
            forgejo_release("9.0\n; rm -rf /"),
            forgejo_release("x" * 1000),
            {"tag_name": 5, "draft": False, "prerelease": False},
            forgejo_release("1.2.0"),
        ],
    )
    info, _ = release_check.get_latest("tool", _check(forge, current="1.0"), http=http)
    assert info.remote.value == "1.2.0"


def test_commit_new_head_is_an_update(forge: FakeForgejo, http: HttpClient) -> None:
    """forgejo_commit compares ``current`` with the branch head's commit id (default master)."""
    path = forge.set_branch("me", "tool", "master", HEAD)
    info, is_current = forgejo_commit.get_latest(
        "tool", _check(forge, type="forgejo_commit", current=OLD), http=http
    )
    assert (info.local.value, info.remote.value, is_current) == (OLD, HEAD, False)
    assert info.remote.release_notes == f"https://forge.example/me/tool/commit/{HEAD}"
    assert len(forge.server.hits(path)) == 1


def test_commit_same_head_on_branch_is_current(forge: FakeForgejo, http: HttpClient) -> None:
    """An equal commit id on the configured branch means current; the token is sent."""
    forge.token = "tok"
    path = forge.set_branch("me", "tool", "release/2.x", HEAD)
    _info, is_current = forgejo_commit.get_latest(
        "tool",
        _check(forge, branch="release/2.x", current=HEAD),
        credentials={"forgejo": {forge.api_url: "tok"}},
        http=http,
    )
    assert is_current
    assert forge.server.hits(path)[0].header("Authorization") == "token tok"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "master"}, "no commit object"),
        ({"commit": {"id": None}}, "got nothing"),
        ({"commit": {"id": "-rf"}}, "hexadecimal"),
        ({"commit": "abc"}, "no commit object"),
    ],
)
def test_commit_wrong_shapes(
    forge: FakeForgejo, http: HttpClient, body: dict[str, Any], fragment: str
) -> None:
    """A branch answer without a hexadecimal commit.id is a CheckError saying what was expected."""
    forge.server.route(f"{forge.prefix}/repos/me/tool/branches/master", Reply.json(body))
    with pytest.raises(CheckError, match=fragment):
        forgejo_commit.get_latest("tool", _check(forge), http=http)


@pytest.mark.parametrize(
    ("check", "key"),
    [
        ({"type": "forgejo_release", "user": "me", "repo": "tool"}, "forge"),
        ({"forge": "not a forge", "user": "me", "repo": "tool"}, "forge"),
        ({"forge": "ftp://example.org", "user": "me", "repo": "tool"}, "forge"),
        ({"forge": "codeberg", "repo": "tool"}, "user"),
        ({"forge": "codeberg", "user": "me", "repo": ".."}, "repo"),
        ({"forge": "codeberg", "user": "me", "repo": "tool", "max_pages": 0}, "max_pages"),
        ({"forge": "codeberg", "user": "me", "repo": "tool", "prerelease": "yes"}, "prerelease"),
        (
            {"forge": "codeberg", "user": "me", "repo": "tool"},
            "current",
        ),
    ],
)
def test_broken_config_names_the_key(http: HttpClient, check: dict[str, Any], key: str) -> None:
    """A missing or mistyped key raises ConfigurationInvalid naming checks.<target>.<key>."""
    with pytest.raises(ConfigurationInvalid, match=rf"checks\.tool\.{key}"):
        release_check.get_latest("tool", check, http=http)
