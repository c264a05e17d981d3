"""Batched GitHub checks over GraphQL, against the fake GitHub on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
import requests

from softwareupdate_core.version_checks._github_graphql import (
    MAX_BATCH,
    GraphQLUnavailable,
    RepoQuery,
    build_query,
    check_batched,
    fetch_batch,
    graphql_url,
    parse_answer,
)
from softwareupdate_core.version_checks._release import Release
from tests.fakes.github import RESET_AT, FakeGitHub, FakeRelease, mount_github
from tests.httpserver import FakeServer

TOKEN = "ghp_graphqltoken"
SHA = "0123456789abcdef0123456789abcdef01234567"


def post_json(url: str, payload: Mapping[str, Any], headers: Mapping[str, str]) -> tuple[int, Any]:
    """The transport the library's HTTP client will provide: POST JSON, return status and JSON."""
    response = requests.post(url, data=json.dumps(payload), headers=dict(headers), timeout=5)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


@pytest.fixture
def github(server: FakeServer) -> FakeGitHub:
    """The fake GitHub with 100 repositories: even ones with releases, odd ones with a branch."""
    fake = mount_github(server, token=TOKEN)
    for n in range(100):
        if n % 2 == 0:
            releases = [
                FakeRelease(f"v{n}.1.0-rc1", prerelease=True),
                FakeRelease(f"v{n}.0.0", name=f"Release {n}"),
                FakeRelease(f"v{n}.0.0-draft", draft=True),
            ]
            fake.add_repo("farm", f"plugin{n}", releases)
        else:
            fake.add_repo("farm", f"plugin{n}", branches={"main": f"{n:040x}"})
    return fake


def queries(count: int = 100) -> list[RepoQuery]:
    return [
        RepoQuery("farm", f"plugin{n}")
        if n % 2 == 0
        else RepoQuery("farm", f"plugin{n}", kind="commit", branch="main")
        for n in range(count)
    ]


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://api.github.com/", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/graphql"),
    ],
)
def test_graphql_url_beside_the_rest_api(api_url: str, expected: str) -> None:
    """The GraphQL endpoint is found for api.github.com and for GitHub Enterprise's /api/v3."""
    assert graphql_url(api_url) == expected


def test_names_travel_as_variables_never_in_the_query_text() -> None:
    """Owner, name and branch are GraphQL variables, so a hostile name cannot change the query."""
    hostile = 'x") { viewer { login } } #'
    document, variables = build_query(
        [RepoQuery(hostile, "repo"), RepoQuery("u", hostile, kind="commit", branch=hostile)]
    )
    assert hostile not in document
    assert variables == {"o0": hostile, "n0": "repo", "o1": "u", "n1": hostile, "b1": hostile}
    assert "r0: repository(owner: $o0, name: $n0)" in document
    assert "releases(first: 10, orderBy: {field: CREATED_AT, direction: DESC})" in document
    assert "r1: repository(owner: $o1, name: $n1) { ref(qualifiedName: $b1)" in document
    assert "rateLimit { cost remaining resetAt limit }" in document


def test_a_batch_holds_at_most_fifty_repositories() -> None:
    """Fifty repositories make one query; fifty-one are refused (the caller splits batches)."""
    build_query(queries(MAX_BATCH))
    with pytest.raises(ValueError, match="1 to 50"):
        build_query(queries(MAX_BATCH + 1))


def test_hundred_repositories_need_two_requests(github: FakeGitHub) -> None:
    """A cold round of 100 repositories costs 2 GraphQL requests and points, and no REST quota."""
    outcome = check_batched(github.api_url, queries(100), post_json, token=TOKEN)
    assert outcome.requests == 2 and github.graphql_requests == 2
    assert outcome.fallback == ()
    assert len(outcome.results) == 100
    assert all(r.error is None for r in outcome.results)
    first = outcome.results[0]
    assert first.query == RepoQuery("farm", "plugin0")
    assert first.releases[:2] == (
        Release(
            "v0.1.0-rc1",
            "v0.1.0-rc1",
            prerelease=True,
            notes_url="https://github.com/farm/plugin0/releases/tag/v0.1.0-rc1",
        ),
        Release(
            "v0.0.0",
            "Release 0",
            notes_url="https://github.com/farm/plugin0/releases/tag/v0.0.0",
        ),
    )
    assert first.releases[2].draft
    assert outcome.results[99].commit == f"{99:040x}"
    assert outcome.cost == 2
    assert outcome.points is not None
    assert (outcome.points.remaining, outcome.points.limit) == (4998, 5000)
    assert outcome.points.reset_at == RESET_AT
    assert github.charged == 0 and github.authenticated.remaining == 5000


def test_a_failing_repository_is_reported_alone(github: FakeGitHub) -> None:
    """A missing repository, a forbidden one and a missing branch fail alone; the others answer."""
    github.graphql_repo_errors[("farm", "plugin2")] = "FORBIDDEN"
    batch = [
        RepoQuery("farm", "plugin0"),
        RepoQuery("farm", "gone"),
        RepoQuery("farm", "plugin2"),
        RepoQuery("farm", "plugin1", kind="commit", branch="nope"),
        RepoQuery("farm", "plugin3", kind="commit", branch="refs/heads/main"),
    ]
    results, points = fetch_batch(github.api_url, batch, post_json, token=TOKEN)
    assert [r.error is None for r in results] == [True, False, False, False, True]
    assert results[1].error is not None and "NOT_FOUND" in results[1].error
    assert results[2].error is not None and "FORBIDDEN" in results[2].error
    assert results[3].error == "branch nope not found"
    assert results[4].commit == f"{3:040x}"
    assert results[0].releases[1].tag == "v0.0.0"
    assert points is not None and points.cost == 1


def test_default_branch_when_no_branch_is_named(github: FakeGitHub) -> None:
    """A commit query without a branch reads the repository's default branch head."""
    github.set_branch("farm", "plugin1", "master", SHA)
    [result], _ = fetch_batch(
        github.api_url, [RepoQuery("farm", "plugin1", kind="commit")], post_json, token=TOKEN
    )
    assert result.commit == SHA


@pytest.mark.parametrize(
    ("mode", "words"), [("unsupported", "HTTP 404"), ("errors", "Something went wrong")]
)
def test_unsupported_server_or_request_error_raises_the_fallback_error(
    github: FakeGitHub, mode: str, words: str
) -> None:
    """A server without GraphQL or a request-wide error raises GraphQLUnavailable (REST next)."""
    github.graphql_mode = mode
    with pytest.raises(GraphQLUnavailable, match=words):
        fetch_batch(github.api_url, queries(3), post_json, token=TOKEN)


def test_after_a_failed_request_the_rest_falls_back_without_more_requests(
    github: FakeGitHub,
) -> None:
    """When the first batch fails, no further batch is sent and every repository goes to REST."""
    github.graphql_mode = "unsupported"
    outcome = check_batched(github.api_url, queries(100), post_json, token=TOKEN)
    assert github.graphql_requests == 1 and outcome.requests == 1
    assert outcome.results == ()
    assert outcome.fallback == tuple(queries(100))
    assert outcome.fallback_reason is not None and "404" in outcome.fallback_reason


def test_without_a_token_nothing_is_sent(github: FakeGitHub) -> None:
    """GraphQL needs a token: without one every repository goes to REST and no request is sent."""
    outcome = check_batched(github.api_url, queries(10), post_json, token=None)
    assert github.graphql_requests == 0 and outcome.requests == 0
    assert len(outcome.fallback) == 10
    assert outcome.fallback_reason == "GitHub's GraphQL API needs a token"


def test_a_refused_token_or_spent_points_fall_back(github: FakeGitHub) -> None:
    """A bad token (401) and a spent point budget both raise GraphQLUnavailable."""
    with pytest.raises(GraphQLUnavailable, match="HTTP 401: Bad credentials"):
        fetch_batch(github.api_url, queries(2), post_json, token="ghp_wrong")
    github.graphql_points.remaining = 0
    with pytest.raises(GraphQLUnavailable, match="rate limit"):
        fetch_batch(github.api_url, queries(2), post_json, token=TOKEN)


@pytest.mark.parametrize(
    ("node", "error"),
    [
        ({"ref": {"target": {"oid": "main; rm -rf /"}}}, "not a commit id"),
        ({"ref": {"target": {}}}, "not a commit id"),
        ({"releases": {"nodes": [{"name": "no tag"}]}}, "without a tag name"),
        ({"releases": None}, "no release list"),
        ("a string", "repository not found"),
    ],
)
def test_malformed_repository_answers_fail_that_repository(node: Any, error: str) -> None:
    """An answer for one repository that does not read as expected fails only that repository."""
    batch = [
        RepoQuery("u", "r", kind="commit" if "ref" in str(node) else "releases", branch="main"),
        RepoQuery("u", "ok", kind="commit", branch="main"),
    ]
    payload = {"data": {"r0": node, "r1": {"ref": {"target": {"oid": SHA}}}}}
    results, points = parse_answer(batch, 200, payload)
    assert results[0].error is not None and error in results[0].error
    assert results[1].commit == SHA
    assert points is None


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"data": None},
        {"errors": "bad"},
        {"data": {}, "errors": [{"message": "boom", "path": ["viewer"]}]},
        {"data": {}, "errors": [{"message": "boom", "path": ["r7"]}]},
    ],
)
def test_unreadable_answers_raise_the_fallback_error(payload: Any) -> None:
    """An answer that is not a GraphQL result for this batch makes the whole batch fall back."""
    with pytest.raises(GraphQLUnavailable):
        parse_answer([RepoQuery("u", "r")], 200, payload)
