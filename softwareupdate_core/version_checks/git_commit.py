"""The ``git_commit`` check: is a local git checkout behind its upstream branch?

Config: ``checkout_folder`` (mandatory, a git work tree), ``branch`` (optional), ``remote``
(optional, default ``origin``, used with ``branch``) and ``timeout`` (seconds per git
command, default 60).

The local version is ``HEAD``; the remote version is the upstream branch after a
``git fetch``. Without ``branch`` the upstream is the one configured for the checked-out
branch (``git branch --set-upstream-to``); with ``branch`` it is ``<remote>/<branch>``,
which also makes a detached ``HEAD`` checkable. Answers:

* same commit: current;
* behind: update available;
* ahead (local commits not pushed): current, there is nothing to pull (noted);
* diverged: update available, noted as "diverged", since pulling needs a merge;
* detached ``HEAD`` without ``branch``, or no upstream configured: CheckError.

Offline (``online=False``) nothing is fetched: the answer compares against the upstream as
of the last fetch, carries a note saying so and has ``needs_online=False``, because the
check works on such stale data.

git runs without a shell, with ``GIT_TERMINAL_PROMPT=0`` (never waits for a password) and
in its own process group, so a timeout also ends helpers such as ``git-remote-https``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import attrs

from ..exceptions import CheckError, ConfigurationInvalid, NetworkError
from ..models import RemoteRef, VersionInformation, VersionRef
from . import _capabilities
from ._checkconfig import key_path, parsed_config, seconds

DEFAULT_TIMEOUT = 60.0
DEFAULT_REMOTE = "origin"


@attrs.frozen
class _Upstream:
    """The ref to compare against and the remote to fetch it from."""

    ref: str  # e.g. refs/remotes/origin/main
    remote: str  # e.g. origin; "." for a local upstream branch
    label: str  # e.g. origin/main


#: Works offline (compares with the last fetch); ``current`` is recorded after an update.
CAPABILITIES = _capabilities.GIT_COMMIT


@attrs.frozen
class Config:
    """The parsed ``git_commit`` config."""

    checkout_folder: Path
    timeout: float
    branch: Optional[str]
    remote: Optional[str]


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``checkout_folder`` (mandatory, an existing folder), ``timeout``, ``branch``,
    ``remote``."""
    return Config(
        _checkout_folder(check, target),
        seconds(target, check, "timeout", DEFAULT_TIMEOUT),
        _name_setting(check, "branch", target),
        _name_setting(check, "remote", target),
    )


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``HEAD`` of ``checkout_folder`` with its upstream branch."""
    config = parsed_config(kwargs, Config, parse_config, target, check)
    git = _Git(config.checkout_folder, config.timeout, target)
    git.require_work_tree()
    local = git.commit("HEAD", what="HEAD")
    upstream = _upstream(git, check, target)
    notes: list[str] = []
    if online:
        git.fetch(upstream.remote)
    else:
        notes.append(f"offline: compared with {upstream.label} as of the last fetch")
    remote = git.commit(upstream.ref, what=f"upstream {upstream.label}")
    ahead, behind = git.ahead_behind(upstream.ref)
    if ahead and behind:
        notes.append(
            f"diverged: {ahead} local and {behind} upstream commits; updating needs a merge"
        )
    elif ahead:
        notes.append(f"ahead of {upstream.label} by {ahead} commits: nothing to pull")
    elif behind:
        notes.append(f"behind {upstream.label} by {behind} commits")
    information = VersionInformation(
        local=VersionRef(name=local[:7], value=local),
        remote=RemoteRef(name=remote[:7], value=remote),
        needs_online=online,
        notes=(f"compared with {upstream.label}", *notes),
    )
    return information, behind == 0


def _checkout_folder(check: Mapping[str, Any], target: str) -> Path:
    raw = check.get("checkout_folder")
    key = key_path(target, "checkout_folder")
    if raw is None or raw == "":
        raise ConfigurationInvalid("is mandatory for the git_commit check", key=key)
    if not isinstance(raw, (str, os.PathLike)):
        raise ConfigurationInvalid(f"expected a path, got {type(raw).__name__}", key=key)
    folder = Path(raw)
    if not folder.is_dir():
        raise ConfigurationInvalid(f"{os.fspath(folder)!r} is not a folder", key=key)
    return folder


def _name_setting(check: Mapping[str, Any], key: str, target: str) -> Optional[str]:
    """A branch or remote name from the config; one that could pass as an option is refused."""
    raw = check.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigurationInvalid(
            f"expected a non-empty name, got {raw!r}", key=key_path(target, key)
        )
    if raw.startswith("-") or any(c.isspace() or ord(c) < 32 for c in raw) or ".." in raw:
        raise ConfigurationInvalid(f"{raw!r} is not a valid git name", key=key_path(target, key))
    return raw


def _upstream(git: _Git, check: Mapping[str, Any], target: str) -> _Upstream:
    branch = _name_setting(check, "branch", target)
    if branch is not None:
        remote = _name_setting(check, "remote", target) or DEFAULT_REMOTE
        return _Upstream(f"refs/remotes/{remote}/{branch}", remote, f"{remote}/{branch}")
    current = git.current_branch()
    if current is None:
        raise CheckError(
            f"{target}: {git.folder} has a detached HEAD, no branch to compare; "
            "set 'branch' in the check to compare with <remote>/<branch>"
        )
    ref, remote = git.upstream_of(current)
    if not ref:
        raise CheckError(
            f"{target}: branch {current!r} in {git.folder} has no upstream configured "
            f"(git branch --set-upstream-to=<remote>/<branch> {current})"
        )
    label = ref.removeprefix("refs/remotes/").removeprefix("refs/heads/")
    return _Upstream(ref, remote or ".", label)


@attrs.frozen
class _Result:
    returncode: int
    stdout: str
    stderr: str


@attrs.frozen
class _Git:
    """Runs git commands in one folder, each bounded by ``timeout``."""

    folder: Path
    timeout: float
    target: str

    def run(self, *args: str) -> _Result:
        command = ["git", *args]
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        try:
            process = subprocess.Popen(
                command,
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise CheckError(f"{self.target}: cannot run git: {exc.strerror or exc}") from None
        with process:
            try:
                out, err = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                process.communicate()
                raise CheckError(
                    f"{self.target}: 'git {args[0]}' in {self.folder} did not finish within "
                    f"{self.timeout:g} seconds and was stopped"
                ) from None
        return _Result(
            process.returncode,
            out.decode("utf-8", "replace").strip(),
            err.decode("utf-8", "replace").strip(),
        )

    def require_work_tree(self) -> None:
        result = self.run("rev-parse", "--is-inside-work-tree")
        if result.returncode != 0 or result.stdout != "true":
            raise ConfigurationInvalid(
                f"{os.fspath(self.folder)!r} is not a git work tree: {_last_line(result.stderr)}",
                key=key_path(self.target, "checkout_folder"),
            )

    def commit(self, ref: str, *, what: str) -> str:
        result = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        sha = result.stdout
        if result.returncode != 0 or not _is_sha(sha):
            raise CheckError(
                f"{self.target}: {what} is not a commit in {self.folder} "
                "(no commits yet, or never fetched)"
            )
        return sha

    def current_branch(self) -> Optional[str]:
        result = self.run("symbolic-ref", "--quiet", "--short", "HEAD")
        return result.stdout if result.returncode == 0 and result.stdout else None

    def upstream_of(self, branch: str) -> tuple[str, str]:
        """Full upstream ref and remote name of ``branch`` (empty strings when none)."""
        result = self.run(
            "for-each-ref",
            "--format=%(upstream)%00%(upstream:remotename)",
            f"refs/heads/{branch}",
        )
        if result.returncode != 0:
            raise CheckError(
                f"{self.target}: cannot read branch {branch!r}: {_last_line(result.stderr)}"
            )
        ref, _, remote = result.stdout.partition("\0")
        return ref, remote

    def fetch(self, remote: str) -> None:
        result = self.run("fetch", "--quiet", "--no-tags", "--", remote)
        if result.returncode != 0:
            raise NetworkError(
                f"{self.target}: git fetch from {remote!r} failed: {_last_line(result.stderr)}"
            )

    def ahead_behind(self, ref: str) -> tuple[int, int]:
        result = self.run("rev-list", "--left-right", "--count", f"HEAD...{ref}", "--")
        parts = result.stdout.split()
        if result.returncode != 0 or len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise CheckError(
                f"{self.target}: cannot compare HEAD with {ref}: {_last_line(result.stderr)}"
            )
        return int(parts[0]), int(parts[1])


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill git and every helper it started (its process group, on POSIX)."""
    killpg = getattr(os, "killpg", None)
    if killpg is not None:
        try:
            killpg(process.pid, signal.SIGKILL)
            return
        except OSError:
            pass
    process.kill()


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _last_line(text: str) -> str:
    lines: Sequence[str] = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no error message"
