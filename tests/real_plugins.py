"""The real-plugin corpus: loading it, seeding the fake GitHub for it, and what users should see.

``tests/data/real_plugins/*.yaml`` hold what real OctoPrint plugins return from
``get_update_information()`` (see the README there). This module turns them into check
*cases* (one per target and release channel a user can pick), serves releases, branch heads
and JSON documents that make every channel meaningful, and states the answer issue 9 asks for
(:func:`expected`), written from the release data alone, not from the library. The corpus
test and ``benchmarks/octoprint_parity.py`` share it, so both run on the same fake GitHub.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Optional

import attrs
import yaml
from packaging.version import Version

from softwareupdate_core import Manager, hookimpl
from softwareupdate_core.models import TargetStatus
from tests.fakes.github import FakeGitHub, FakeRelease
from tests.httpserver import FakeServer, Reply

CORPUS = Path(__file__).parent / "data" / "real_plugins"
#: Check types whose ``api_url`` is pointed at the fake GitHub.
GITHUB_TYPES = ("github_release", "github_commit")
#: Spellings real plugins use for a channel's ``commitish`` list.
COMMITISH_KEYS = ("commitish", "comittish", "committish")
#: The release_compare values OctoPrint knows.
VALID_COMPARE = ("python", "python_unequal", "semantic", "semantic_unequal", "unequal", "custom")
_FILE_KEYS = {"repository", "path", "commit", "plugin_version", "seed", "notes", "checks"}


@attrs.frozen
class RealPlugin:
    """One corpus file: a plugin's update configuration and where it came from."""

    name: str
    repository: str
    path: str
    plugin_version: str
    checks: Mapping[str, Mapping[str, Any]]
    commit: Optional[str] = None
    #: ``update``: the fake serves a newer stable release; ``current``: it does not;
    #: ``final``: also a stable release of the version the release candidates lead to.
    seed: str = "update"
    notes: str = ""


@attrs.frozen
class Case:
    """One target of one plugin, on one release channel (``None``: the stable channel)."""

    plugin: RealPlugin
    target: str
    channel: Optional[str]

    @property
    def id(self) -> str:
        suffix = "" if self.channel is None else f"@{self.channel}"
        return f"{self.plugin.name}:{self.target}{suffix}"

    @property
    def config(self) -> dict[str, Any]:
        """The plugin's config for the target, plus the user's channel choice."""
        cfg = copy.deepcopy(dict(self.plugin.checks[self.target]))
        if self.channel is not None:
            cfg["prerelease"] = True
            cfg["prerelease_channel"] = self.channel
        return cfg


def load_corpus(folder: Path = CORPUS) -> list[RealPlugin]:
    """Every corpus file, by name; a malformed file fails with its name."""
    plugins = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = set(data) - _FILE_KEYS
        missing = {"repository", "path", "plugin_version", "checks"} - set(data)
        if unknown or missing:
            raise ValueError(f"{path.name}: unknown keys {unknown}, missing keys {missing}")
        plugins.append(RealPlugin(name=path.stem, **data))
    return plugins


def channel_branches(cfg: Mapping[str, Any]) -> list[str]:
    """The prerelease channels a user can pick for a target (its branches, in order)."""
    branches = cfg.get("prerelease_branches") or []
    return [b["branch"] for b in branches if isinstance(b, Mapping) and b.get("branch")]


def cases(plugins: Iterable[RealPlugin]) -> list[Case]:
    """Every target on the stable channel, and every release target on each of its channels."""
    out = []
    for plugin in plugins:
        for target, cfg in plugin.checks.items():
            out.append(Case(plugin, target, None))
            if cfg.get("type") == "github_release":
                seen = {cfg.get("stable_branch", {}).get("branch")}
                for branch in channel_branches(cfg):
                    if branch not in seen:
                        seen.add(branch)
                        out.append(Case(plugin, target, branch))
    return out


# -- what the fake servers serve ----------------------------------------------------------


def stable_branch(cfg: Mapping[str, Any]) -> str:
    return str((cfg.get("stable_branch") or {}).get("branch") or "master")


def releases_for(plugin: RealPlugin, cfg: Mapping[str, Any]) -> list[FakeRelease]:
    """The releases served for a release target's repository, newest first.

    The installed version; an old stable; a newer stable unless the plugin's seed is
    ``current``; one release candidate per prerelease branch (targeting that branch); and a
    beta targeting the stable branch (eligible only on channels whose list names it), or with
    seed ``final`` instead the stable release those candidates lead to.
    """
    installed = Version(plugin.plugin_version)
    major, minor = installed.release[0], installed.release[1]
    stable = stable_branch(cfg)
    branches = channel_branches(cfg)
    out = []
    if plugin.seed != "final":
        out.append(
            FakeRelease(f"{major}.{minor + 3}.0b1", prerelease=True, target_commitish=stable)
        )
    for n, branch in reversed(list(enumerate(branches, start=1))):
        if branch != stable:
            name = f"{major}.{minor + 2}.0rc{n}"
            out.append(FakeRelease(name, prerelease=True, target_commitish=branch))
    if plugin.seed == "final":
        out.insert(1, FakeRelease(f"{major}.{minor + 2}.0", target_commitish=stable))
    if plugin.seed in ("update", "final"):
        out.append(FakeRelease(f"{major}.{minor + 1}.0", name=f"Release {major}.{minor + 1}.0"))
    installed_branch = stable if not installed.is_prerelease else (branches or [stable])[0]
    out.append(
        FakeRelease(
            plugin.plugin_version,
            prerelease=installed.is_prerelease,
            target_commitish=installed_branch,
        )
    )
    out.append(FakeRelease("0.0.1", target_commitish=stable))
    for release in out:
        if release.name is None:
            release.name = release.tag_name
    return out


def head_sha(user: str, repo: str, branch: str) -> str:
    """The fake head commit of a branch (stable across runs)."""
    return hashlib.sha1(f"{user}/{repo}@{branch}".encode()).hexdigest()


def json_version(plugin: RealPlugin) -> str:
    """The version a ``jsondata`` document announces for the plugin."""
    installed = Version(plugin.plugin_version)
    if plugin.seed == "current":
        return plugin.plugin_version
    if plugin.seed == "final":
        return f"{installed.release[0]}.{installed.release[1] + 2}.0"
    return f"{installed.release[0]}.{installed.release[1] + 1}.0"


#: Repositories the real GitHub does not have (the plugin's config names a wrong owner).
MISSING_REPOS = {("fabbari", "OctoPrint-Console"), ("OctoPrint", "OctoPrint-Authentise")}


def seed(github: FakeGitHub, web: FakeServer, plugins: Iterable[RealPlugin]) -> None:
    """Serve every corpus repository on ``github`` and every JSON document on ``web``."""
    done: set[tuple[str, str]] = set()
    for plugin in plugins:
        for target, cfg in plugin.checks.items():
            kind = cfg.get("type")
            if kind in GITHUB_TYPES:
                key = (str(cfg["user"]), str(cfg["repo"]))
                if key in MISSING_REPOS:
                    continue
                if kind == "github_release" and key not in done:
                    done.add(key)
                    github.add_repo(*key, releases_for(plugin, cfg))
                branch = str(cfg.get("branch") or "master")
                github.add_repo(*key, branches={branch: head_sha(*key, branch)})
                github.server.route(
                    f"/repos/{key[0]}/{key[1]}/git/refs/heads/{branch}",
                    Reply.json({"object": {"sha": head_sha(*key, branch), "type": "commit"}}),
                )
            elif kind == "jsondata":
                web.route(json_path(plugin, target), {"version": json_version(plugin)})


def json_path(plugin: RealPlugin, target: str) -> str:
    return f"/jsondata/{plugin.name}/{target}.json"


def mounted(case: Case, api_url: str, web_url: str) -> dict[str, Any]:
    """The case's config pointed at the fake servers instead of api.github.com and the web."""
    cfg = case.config
    if cfg.get("type") in GITHUB_TYPES:
        cfg["api_url"] = api_url
    elif cfg.get("type") == "jsondata":
        cfg["jsondata"] = web_url + json_path(case.plugin, case.target)
    return cfg


# -- what a user should see (issue 9) -----------------------------------------------------


@attrs.frozen
class Expected:
    """The answer issue 9 asks for; ``error`` names the kind of failure, if any."""

    remote: Optional[str]
    update_available: bool
    error: Optional[str] = None


def channel_commitish(cfg: Mapping[str, Any], channel: str, *, misspelt: bool) -> list[str]:
    """The commitish list of ``channel``; ``misspelt`` also reads comittish/committish."""
    keys = COMMITISH_KEYS if misspelt else COMMITISH_KEYS[:1]
    for branch in cfg.get("prerelease_branches") or []:
        if branch.get("branch") == channel:
            for key in keys:
                if branch.get(key):
                    return list(branch[key])
            return [channel]
    return [channel]


#: ``Expected.error`` of an entry that is left out of the report altogether.
LEFT_OUT = "left out"


def expected(case: Case, *, misspelt: bool = True) -> Expected:
    """What the target should report; ``misspelt=False``: as if misspelt lists were ignored."""
    cfg = case.config
    kind = cfg.get("type")
    if not kind:
        # as OctoPrint: a hook entry without a type (MultiCam's ``events``) is no target
        return Expected(None, False, LEFT_OUT)
    user, repo = str(cfg.get("user")), str(cfg.get("repo"))
    if (user, repo) in MISSING_REPOS:
        return Expected(None, False, "api")
    if kind == "github_commit":
        sha = head_sha(user, repo, str(cfg.get("branch") or "master"))
        return Expected(sha, cfg.get("current") != sha)
    if kind == "jsondata":
        remote = json_version(case.plugin)
        return Expected(remote, Version(remote) > Version(str(cfg["current"])))
    assert kind == "github_release", kind
    releases = releases_for(case.plugin, cfg)
    if case.channel is None:
        eligible = [r for r in releases if not r.prerelease]
    else:
        allowed = channel_commitish(cfg, case.channel, misspelt=misspelt)
        eligible = [r for r in releases if not r.prerelease or r.target_commitish in allowed]
    newest = max(eligible, key=lambda r: Version(r.tag_name))
    current = Version(str(cfg["current"]))
    leaving = bool(cfg.get("prerelease")) or current.is_prerelease
    if leaving and (cfg.get("pip") or cfg.get("update_script")):
        available = Version(newest.tag_name) != current
    else:
        available = Version(newest.tag_name) > current
    return Expected(newest.tag_name, available)


def pending_items(case: Case) -> list[str]:
    """The issue-9 items (not yet on this branch) the case's expected answer depends on."""
    cfg = case.config
    reasons = []
    releases = releases_for(case.plugin, cfg) if cfg.get("type") == "github_release" else []
    stable_tags = {r.tag_name for r in releases if not r.prerelease}
    if case.channel is not None and expected(case).remote in stable_tags:
        listed = channel_commitish(cfg, case.channel, misspelt=False)
        if stable_branch(cfg) not in listed:
            reasons.append("issue 9 item 1 (stable releases count on every channel)")
    if uses_misspelt_commitish(cfg) and expected(case) != expected(case, misspelt=False):
        reasons.append("issue 9 item 3 (comittish/committish accepted)")
    if cfg.get("type") == "github_commit" and cfg.get("current") is None:
        reasons.append("issue 9 item 6 (commit check without current offers the head)")
    if cfg.get("release_compare", "python") not in VALID_COMPARE:
        reasons.append("issue 9 item 14 (unknown release_compare falls back to python)")
    want = expected(case)
    current = cfg.get("current")
    remote = want.remote
    leaving = cfg.get("type") == "github_release" and remote is not None and current
    if leaving and want.update_available and Version(str(remote)) < Version(str(current)):
        reasons.append("issue 9 item 4 (leaving a prerelease offers an older stable)")
    return reasons


def uses_misspelt_commitish(cfg: Mapping[str, Any]) -> bool:
    """Whether any channel of the config spells its list ``comittish`` or ``committish``."""
    parts = [cfg.get("stable_branch") or {}, *(cfg.get("prerelease_branches") or [])]
    return any(key in part for part in parts for key in COMMITISH_KEYS[1:])


# -- running the corpus through Manager ---------------------------------------------------


class CorpusPlugin:
    """Provides one corpus plugin's check configs, as its OctoPrint hook would."""

    def __init__(self, checks: Mapping[str, Mapping[str, Any]]) -> None:
        self._checks = checks

    @hookimpl
    def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
        return self._checks


def run_cases(
    selected: list[Case], api_url: str, web_url: str, folder: Path
) -> dict[str, TargetStatus]:
    """Check every case; one Manager per plugin and channel round, each on its own folder."""
    rounds: dict[tuple[str, int], list[Case]] = {}
    position: dict[tuple[str, str], int] = {}
    for case in selected:
        key = (case.plugin.name, case.target)
        n = position[key] = position.get(key, -1) + 1
        rounds.setdefault((case.plugin.name, n), []).append(case)
    answers: dict[str, TargetStatus] = {}
    for (name, n), group in rounds.items():
        provided = {c.target: mounted(c, api_url, web_url) for c in group}
        user_checks: dict[str, Any] = {}
        for c in group:
            if c.channel is not None:
                user_checks[c.target] = {"prerelease": True, "prerelease_channel": c.channel}
            else:
                # a stable-channel round leaves the plugin's own prerelease settings alone
                user_checks[c.target] = {}
        # targets the round does not check still exist (the plugin provides them all)
        for target, cfg in group[0].plugin.checks.items():
            provided.setdefault(target, dict(cfg))
        settings = {
            "check_overlay_url": None,
            "checks": {t: v for t, v in user_checks.items() if v},
        }
        with Manager(
            settings,
            data_folder=folder / f"{name}-{n}",
            plugins=[CorpusPlugin(provided)],
            load_entrypoints=False,
        ) as manager:
            report = manager.check(force=True)
        for c in group:
            if c.target in report.targets:
                answers[c.id] = report.targets[c.target]
    return answers
