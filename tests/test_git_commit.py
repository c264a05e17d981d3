"""Tests for the git_commit check against real repositories made in tmp_path (no network)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Optional

import attrs
import pytest

from softwareupdate_core.exceptions import CheckError, ConfigurationInvalid, NetworkError
from softwareupdate_core.version_checks import git_commit
from tests.httpserver import FakeServer, Reply

IDENTITY = ("-c", "user.name=Tester", "-c", "user.email=tester@example.invalid")


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity and return its stripped stdout."""
    result = subprocess.run(
        ["git", *IDENTITY, "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


@attrs.frozen
class Repos:
    """A bare remote, the checkout under test and a second clone that pushes."""

    remote: Path
    work: Path
    other: Path

    def commit(self, clone: Path, message: str) -> str:
        (clone / "file.txt").write_text(message + "\n", encoding="utf-8")
        git(clone, "add", "file.txt")
        git(clone, "commit", "-q", "-m", message)
        return git(clone, "rev-parse", "HEAD")

    def push_from_other(self, message: str) -> str:
        git(self.other, "pull", "-q", "--no-rebase")
        sha = self.commit(self.other, message)
        git(self.other, "push", "-q", "origin", "main")
        return sha

    def head(self, clone: Path) -> str:
        return git(clone, "rev-parse", "HEAD")


@pytest.fixture
def repos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repos:
    """Repositories with one pushed commit; git ignores the user's global config."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    seed = tmp_path / "seed"
    git(tmp_path, "init", "-q", "-b", "main", str(seed))
    repos = Repos(remote, tmp_path / "work", tmp_path / "other")
    repos.commit(seed, "initial")
    git(seed, "push", "-q", str(remote), "main")
    git(tmp_path, "clone", "-q", str(remote), str(repos.work))
    git(tmp_path, "clone", "-q", str(remote), str(repos.other))
    return repos


def check_of(repos: Repos, **extra: object) -> dict[str, object]:
    return {"type": "git_commit", "checkout_folder": str(repos.work), **extra}


def test_up_to_date_checkout_is_current(repos: Repos) -> None:
    """A checkout at its upstream's commit is current, with HEAD as both versions."""
    info, is_current = git_commit.get_latest("t", check_of(repos))
    head = repos.head(repos.work)
    assert is_current is True
    assert (info.local.value, info.remote.value) == (head, head)
    assert info.local.name == head[:7]
    assert info.needs_online is True
    assert "compared with origin/main" in info.notes


def test_behind_checkout_fetches_and_offers_update(repos: Repos) -> None:
    """Commits pushed from another clone are fetched and reported as an update."""
    local = repos.head(repos.work)
    pushed = repos.push_from_other("second")
    info, is_current = git_commit.get_latest("t", check_of(repos))
    assert is_current is False
    assert info.local.value == local
    assert info.remote.value == pushed
    assert any("behind origin/main by 1 commits" in n for n in info.notes)


def test_ahead_checkout_is_current_with_note(repos: Repos) -> None:
    """Unpushed local commits mean nothing to pull: current, and a note says it is ahead."""
    upstream = repos.head(repos.work)
    local = repos.commit(repos.work, "local only")
    info, is_current = git_commit.get_latest("t", check_of(repos))
    assert is_current is True
    assert (info.local.value, info.remote.value) == (local, upstream)
    assert any("ahead of origin/main by 1 commits" in n for n in info.notes)


def test_diverged_checkout_offers_update_noted_as_diverged(repos: Repos) -> None:
    """Local and upstream commits both present: update available, noted as diverged."""
    repos.commit(repos.work, "local only")
    pushed = repos.push_from_other("upstream only")
    info, is_current = git_commit.get_latest("t", check_of(repos))
    assert is_current is False
    assert info.remote.value == pushed
    assert any(n.startswith("diverged: 1 local and 1 upstream") for n in info.notes)


def test_detached_head_without_branch_is_check_error(repos: Repos) -> None:
    """A detached HEAD has no upstream, so without ``branch`` the check says so."""
    git(repos.work, "checkout", "-q", "--detach")
    with pytest.raises(CheckError, match="detached HEAD, no branch to compare"):
        git_commit.get_latest("t", check_of(repos))


def test_detached_head_with_branch_compares_with_remote_branch(repos: Repos) -> None:
    """With ``branch`` set, a detached HEAD is compared with ``origin/<branch>``."""
    git(repos.work, "checkout", "-q", "--detach")
    pushed = repos.push_from_other("second")
    info, is_current = git_commit.get_latest("t", check_of(repos, branch="main"))
    assert is_current is False
    assert info.remote.value == pushed
    assert "compared with origin/main" in info.notes


def test_branch_setting_overrides_configured_upstream(repos: Repos) -> None:
    """``branch`` and ``remote`` select the compared branch even when HEAD tracks another."""
    git(repos.other, "checkout", "-q", "-b", "stable")
    stable = repos.commit(repos.other, "stable only")
    git(repos.other, "push", "-q", "origin", "stable")
    info, is_current = git_commit.get_latest("t", check_of(repos, branch="stable", remote="origin"))
    assert is_current is False
    assert info.remote.value == stable
    assert "compared with origin/stable" in info.notes


def test_branch_without_upstream_is_check_error_naming_it(repos: Repos) -> None:
    """A checked-out branch without upstream gives a CheckError naming the branch."""
    git(repos.work, "checkout", "-q", "-b", "feature")
    with pytest.raises(CheckError, match=r"branch 'feature' .* has no upstream configured"):
        git_commit.get_latest("t", check_of(repos))


def test_offline_compares_with_last_fetch_without_fetching(repos: Repos) -> None:
    """Offline nothing is fetched: the stale upstream is used and marked, needs_online False."""
    repos.push_from_other("second")
    info, is_current = git_commit.get_latest("t", check_of(repos), online=False)
    assert is_current is True
    assert info.needs_online is False
    assert any(n.startswith("offline: compared with origin/main") for n in info.notes)
    _, is_current_online = git_commit.get_latest("t", check_of(repos), online=True)
    assert is_current_online is False
    # the online check fetched, so now the offline answer knows the new commit too
    _, is_current_offline = git_commit.get_latest("t", check_of(repos), online=False)
    assert is_current_offline is False


@pytest.mark.parametrize("folder", [None, "", "missing", "plain"])
def test_bad_checkout_folder_is_configuration_invalid(
    tmp_path: Path, folder: Optional[str]
) -> None:
    """A missing, non-existent or non-git checkout_folder is refused, naming the key."""
    (tmp_path / "plain").mkdir()
    check: dict[str, object] = {"type": "git_commit"}
    if folder is not None:
        check["checkout_folder"] = str(tmp_path / folder) if folder else ""
    with pytest.raises(ConfigurationInvalid, match=r"checks\.t\.checkout_folder"):
        git_commit.get_latest("t", check)


def test_repository_without_commits_is_check_error(tmp_path: Path) -> None:
    """A freshly initialised repository has no HEAD commit to compare."""
    git(tmp_path, "init", "-q", "-b", "main", "empty")
    with pytest.raises(CheckError, match="HEAD is not a commit"):
        git_commit.get_latest("t", {"checkout_folder": str(tmp_path / "empty")})


def test_unreachable_remote_is_network_error(repos: Repos) -> None:
    """A fetch that fails (remote gone) is a NetworkError carrying git's message."""
    git(repos.work, "remote", "set-url", "origin", str(repos.remote.parent / "gone.git"))
    with pytest.raises(NetworkError, match="git fetch from 'origin' failed"):
        git_commit.get_latest("t", check_of(repos))


def test_hanging_fetch_is_stopped_by_timeout(repos: Repos, server: FakeServer) -> None:
    """A remote that never answers is given up after ``timeout`` seconds, helpers included."""
    server.route("/repo.git/info/refs", Reply(delay=120))
    git(repos.work, "remote", "set-url", "origin", f"{server.url}/repo.git")
    started = time.monotonic()
    with pytest.raises(CheckError, match="did not finish within 1 seconds"):
        git_commit.get_latest("t", check_of(repos, timeout=1))
    assert time.monotonic() - started < 30
    assert server.hits("/repo.git/info/refs")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("branch", "--upload-pack=touch pwned"),
        ("remote", "-oops"),
        ("branch", "a..b"),
        ("branch", ""),
        ("timeout", 0),
        ("timeout", "soon"),
    ],
)
def test_bad_names_and_timeouts_are_refused(repos: Repos, key: str, value: object) -> None:
    """Branch/remote names that could act as options, and bad timeouts, are config errors."""
    extra = {"branch": "main", key: value}
    with pytest.raises(ConfigurationInvalid, match=rf"checks\.t\.{key}"):
        git_commit.get_latest("t", check_of(repos, **extra))
    assert not (repos.work / "pwned").exists()
