"""Batched GitHub checks in a real round: GraphQL with a token, REST wherever it must or pays."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

import pytest

from softwareupdate_core import Manager, hookimpl
from softwareupdate_core.exceptions import CheckError
from softwareupdate_core.models import RemoteRef, VersionInformation, VersionRef
from softwareupdate_core.protocols import CheckCapabilities
from tests.fakes.github import FakeGitHub, FakeRelease, mount_github
from tests.httpserver import FakeServer

TOKEN = "ghp_BATCHTOKEN0123456789"


@pytest.fixture
def github(server: FakeServer) -> FakeGitHub:
    """100 repositories with releases 1.1.0 (newest) and 1.0.0, and a ``main`` branch each."""
    gh = mount_github(server, token=TOKEN)
    for i in range(100):
        gh.add_repo(
            "farm",
            f"repo{i}",
            [FakeRelease("1.1.0"), FakeRelease("1.0.0")],
            branches={"main": f"{i + 1:040x}"},
        )
    return gh


def release_checks(api_url: str, count: int, **extra: Any) -> dict[str, dict[str, Any]]:
    return {
        f"rel{i}": {
            "type": "github_release",
            "user": "farm",
            "repo": f"repo{i}",
            "current": "1.0.0",
            "api_url": api_url,
            **extra,
        }
        for i in range(count)
    }


def commit_checks(api_url: str, count: int) -> dict[str, dict[str, Any]]:
    return {
        f"com{i}": {
            "type": "github_commit",
            "user": "farm",
            "repo": f"repo{i}",
            "branch": "main",
            "current": f"{i + 1:040x}",
            "api_url": api_url,
        }
        for i in range(count)
    }


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Any]:
    """Build a Manager for checks (with the token unless ``token=None``); closed after."""
    made: list[Manager] = []

    def make(checks: dict[str, Any], token: Optional[str] = TOKEN) -> Manager:
        section: dict[str, Any] = {"checks": checks, "check_overlay_url": None}
        if token is not None:
            section["credentials"] = {"github": token}
        manager = Manager(section, data_folder=tmp_path / "data", load_entrypoints=False)
        made.append(manager)
        return manager

    yield make
    for manager in made:
        manager.close()


def remote(report: Any, name: str) -> Optional[str]:
    info = report.targets[name].information
    return None if info is None else info.remote.value


def test_cold_round_of_100_release_targets_needs_two_requests(
    server: FakeServer, github: FakeGitHub, host: Any
) -> None:
    """100 github_release targets with a token, cold: two GraphQL requests, right versions."""
    manager = host(release_checks(server.url, 100))
    report = manager.check()
    assert len(server.hits()) == 2
    assert github.graphql_requests == 2
    assert all(remote(report, f"rel{i}") == "1.1.0" for i in range(100))
    assert all(t.update_available for t in report.targets.values())
    stats = manager.http.stats
    assert (stats.graphql_requests, stats.graphql_points) == (2, 2)
    assert stats.graphql_remaining == github.graphql_points.remaining


def test_mixed_round_of_100_targets_needs_at_most_three_requests(
    server: FakeServer, github: FakeGitHub, host: Any
) -> None:
    """60 release and 40 commit targets, cold, with a token: at most three requests."""
    checks = {**release_checks(server.url, 60), **commit_checks(server.url, 40)}
    report = host(checks).check()
    assert len(server.hits()) <= 3
    assert all(remote(report, f"rel{i}") == "1.1.0" for i in range(60))
    assert all(remote(report, f"com{i}") == f"{i + 1:040x}" for i in range(40))
    assert not any(report.targets[f"com{i}"].update_available for i in range(40))


def test_without_token_checks_stay_on_rest(
    server: FakeServer, github: FakeGitHub, host: Any
) -> None:
    """Without a token nothing goes to GraphQL (it needs one): one REST request per target."""
    report = host(release_checks(server.url, 5), token=None).check()
    assert github.graphql_requests == 0
    assert len(server.hits()) == 5
    assert all(remote(report, f"rel{i}") == "1.1.0" for i in range(5))


def test_release_channels_stay_on_rest(server: FakeServer, github: FakeGitHub, host: Any) -> None:
    """A check on a prerelease channel (target_commitish) goes over REST, the rest batched."""
    checks = release_checks(server.url, 3)
    checks["rel0"] = {
        **checks["rel0"],
        "prerelease": True,
        "prerelease_channel": "rc",
        "stable_branch": {"branch": "master", "name": "Stable"},
        "prerelease_branches": [{"branch": "rc", "name": "RC", "commitish": ["rc"]}],
    }
    report = host(checks).check()
    assert github.graphql_requests == 1
    assert len(server.hits("/repos/farm/repo0/releases")) == 1
    assert not server.hits("/repos/farm/repo1/releases")
    assert all(remote(report, f"rel{i}") == "1.1.0" for i in range(3))


@pytest.mark.parametrize("mode", ["unsupported", "errors"])
def test_graphql_failure_falls_back_to_rest(
    server: FakeServer, github: FakeGitHub, host: Any, mode: str
) -> None:
    """A server without GraphQL or a failing query: the targets are checked over REST."""
    github.graphql_mode = mode
    report = host(release_checks(server.url, 5)).check()
    assert github.graphql_requests == 1
    assert sum(len(server.hits(f"/repos/farm/repo{i}/releases")) for i in range(5)) == 5
    assert all(remote(report, f"rel{i}") == "1.1.0" for i in range(5))
    assert all(t.error is None for t in report.targets.values())


def test_repository_error_goes_to_rest_alone(
    server: FakeServer, github: FakeGitHub, host: Any
) -> None:
    """One repository failing inside a batch is checked over REST; the others stand."""
    github.graphql_repo_errors[("farm", "repo2")] = "FORBIDDEN"
    report = host(release_checks(server.url, 5)).check()
    assert len(server.hits("/repos/farm/repo2/releases")) == 1
    assert not server.hits("/repos/farm/repo1/releases")
    assert all(remote(report, f"rel{i}") == "1.1.0" for i in range(5))


def test_stored_rest_answer_keeps_the_free_conditional_path(
    server: FakeServer, github: FakeGitHub, host: Any
) -> None:
    """A target with a stored REST answer is asked conditionally over REST (a free 304)."""
    first = host(release_checks(server.url, 2), token=None)
    first.check()  # over REST (no token): stores the answers' ETags
    first.close()
    again = host(release_checks(server.url, 2))
    report = again.check(force=True)
    assert github.graphql_requests == 0
    assert github.not_modified == 2
    assert all(remote(report, f"rel{i}") == "1.1.0" for i in range(2))


def test_only_prereleases_in_the_first_ten_goes_to_rest(
    server: FakeServer, github: FakeGitHub, host: Any
) -> None:
    """When GraphQL's newest ten releases hold no accepted one, REST pages on and finds it."""
    github.add_repo(
        "farm",
        "busy",
        [FakeRelease(f"2.0.0rc{n}", prerelease=True) for n in range(12, 0, -1)]
        + [FakeRelease("1.5.0")],
    )
    checks = {
        "busy": {
            "type": "github_release",
            "user": "farm",
            "repo": "busy",
            "current": "1.0.0",
            "api_url": server.url,
        }
    }
    report = host(checks).check()
    assert github.graphql_requests == 1
    assert len(server.hits("/repos/farm/busy/releases")) == 1
    assert remote(report, "busy") == "1.5.0"


class _Batching:
    """A third-party check type whose ``batch`` answers even targets and fails target 2."""

    def __init__(self) -> None:
        self.single: list[str] = []
        self.batches: list[list[str]] = []
        self.parses = 0
        self.handed: dict[str, Any] = {}
        self.CAPABILITIES = CheckCapabilities(batch=self.batch)

    def parse_config(self, target: str, check: Mapping[str, Any]) -> str:
        self.parses += 1
        return f"parsed {target}"

    def batch(self, checks: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        self.batches.append(sorted(checks))
        self.handed.update(kwargs["parsed"])
        answers: dict[str, Any] = {}
        for name in checks:
            number = int(name[1:])
            if number == 2:
                answers[name] = CheckError(f"{name}: batch says no")
            elif number % 2 == 0:
                answers[name] = (_info("9"), False)
        return answers

    def get_latest(self, target: str, check: Mapping[str, Any], **kwargs: Any) -> Any:
        self.single.append(target)
        self.handed[target + " single"] = kwargs.get("parsed")
        return _info("1"), True


def _info(remote_version: str) -> VersionInformation:
    return VersionInformation(VersionRef("1", "1"), RemoteRef(remote_version, remote_version))


def test_round_uses_any_check_types_batch_capability(tmp_path: Path) -> None:
    """The round hands due targets to a type's ``batch``; what it leaves out goes one by one."""
    checker = _Batching()

    class Plugin:
        @hookimpl
        def softwareupdate_version_checks(self) -> Mapping[str, Any]:
            return {"many": checker}

    checks = {f"m{i}": {"type": "many", "current": "1"} for i in range(5)}
    with Manager(
        {"checks": checks, "check_overlay_url": None},
        data_folder=tmp_path,
        plugins=[Plugin()],
        load_entrypoints=False,
    ) as manager:
        report = manager.check()
    assert checker.batches == [[f"m{i}" for i in range(5)]]
    assert sorted(checker.single) == ["m1", "m3"]
    assert checker.parses == 5  # once per target, though m1 and m3 went the single way too
    assert checker.handed["m0"] == "parsed m0"
    assert checker.handed["m1 single"] == "parsed m1"
    assert remote(report, "m0") == "9" and report.targets["m0"].update_available
    assert remote(report, "m1") == "1"
    assert report.targets["m2"].error is not None
    assert "batch says no" in (report.targets["m2"].error_message or "")
