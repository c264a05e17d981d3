"""Release channels: the one parser of ``stable_branch``/``prerelease_branches``, and the
adjustments of a release check that runs or tracks a prerelease.

The round (``releaseChannels`` of a status, ``set_release_channel``) and the release checks
(which releases a channel accepts) read channels through :func:`parse_channel` and
:func:`release_channels`. Kept free of heavy imports: the check round reads channels of every
target, including those answered from the version cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ..exceptions import ConfigurationInvalid
from ..models import ReleaseChannel, ReleaseChannels

#: Misspellings of a channel's ``commitish`` key found in real plugin configs, read as it.
MISSPELT_COMMITISH = ("comittish", "committish")


def commitish_value(channel: Mapping[str, Any]) -> Any:
    """A channel entry's ``commitish``, also when spelt ``comittish`` or ``committish``."""
    value = channel.get("commitish")
    if value is not None:
        return value
    for key in MISSPELT_COMMITISH:
        value = channel.get(key)
        if value is not None:
            return value
    return None


def parse_channel(raw: Any, *, target: Optional[str] = None, key: str = "") -> Any:
    """One channel entry (``branch`` mandatory, ``name``, ``commitish``) as a ReleaseChannel.

    With ``target`` the entry is validated: a malformed one raises ConfigurationInvalid
    naming ``checks.<target>.<key>``. Without it (building a status, which must exist for
    every target) a malformed entry gives None and malformed ``commitish`` items are dropped.
    """

    def bad(where: str, message: str) -> Optional[ReleaseChannel]:
        if target is None:
            return None
        raise ConfigurationInvalid(message, key=f"checks.{target}.{where}")

    if not isinstance(raw, Mapping):
        return bad(key, "expected a mapping with branch, name and commitish")
    branch = raw.get("branch")
    if target is not None and isinstance(branch, (int, float)) and not isinstance(branch, bool):
        branch = str(branch)  # YAML reads a numeric branch name as a number
    if not isinstance(branch, str) or not branch:
        return bad(f"{key}.branch", "is mandatory")
    name = raw.get("name")
    if target is not None and isinstance(name, (int, float)) and not isinstance(name, bool):
        name = str(name)
    raw_commitish = commitish_value(raw)
    commitish: tuple[str, ...]
    if raw_commitish is None:
        commitish = ()
    elif isinstance(raw_commitish, str):
        commitish = (raw_commitish,)
    elif isinstance(raw_commitish, (list, tuple)) and (
        target is None or all(isinstance(c, str) for c in raw_commitish)
    ):
        commitish = tuple(c for c in raw_commitish if isinstance(c, str) and c)
    elif target is None:
        commitish = ()  # a malformed commitish is left out: the branch stands in for it
    else:
        return bad(f"{key}.commitish", "expected a list of strings")
    return ReleaseChannel(
        branch=branch,
        name=name if isinstance(name, str) and name else branch,
        commitish=commitish or (branch,),
    )


def release_channels(
    check: Mapping[str, Any], *, target: Optional[str] = None
) -> Optional[ReleaseChannels]:
    """The channels of a check that defines ``stable_branch`` and ``prerelease_branches``.

    ``target`` validates (see :func:`parse_channel`); without it malformed entries are
    skipped. ``current`` is the channel followed: the stable one, or ``prerelease_channel``
    with ``prerelease: true`` (also one not defined here).
    """
    stable = check.get("stable_branch")
    pre = check.get("prerelease_branches")
    if stable is None or pre is None:
        return None  # the common case, without the costlier isinstance(..., Mapping)
    if not isinstance(pre, (list, tuple)):
        if target is not None:
            raise ConfigurationInvalid(
                "expected a list of channels", key=f"checks.{target}.prerelease_branches"
            )
        return None
    first = parse_channel(stable, target=target, key="stable_branch")
    if first is None:
        return None
    available = [first]
    for n, raw in enumerate(pre):
        channel = parse_channel(raw, target=target, key=f"prerelease_branches[{n}]")
        if channel is not None:
            available.append(channel)
    current = first.branch
    wanted = check.get("prerelease_channel")
    if check.get("prerelease") is True and isinstance(wanted, str) and wanted:
        current = wanted  # a channel not defined here still is the one followed
    return ReleaseChannels(available=tuple(available), current=current, stable=first.branch)


def misspelt_commitish(check: Mapping[str, Any]) -> list[str]:
    """Key paths (below the check) of channel entries that spell ``commitish`` otherwise."""
    found = []
    entries: list[tuple[str, Any]] = [("stable_branch", check.get("stable_branch"))]
    branches = check.get("prerelease_branches")
    if isinstance(branches, (list, tuple)):
        entries += [(f"prerelease_branches[{n}]", b) for n, b in enumerate(branches)]
    for where, entry in entries:
        if isinstance(entry, Mapping) and entry.get("commitish") is None:
            found += [f"{where}.{k}" for k in MISSPELT_COMMITISH if entry.get(k) is not None]
    return found


def _is_stable(version: str) -> bool:
    """Whether ``version`` is a final release (not an RC, dev or other pre-release)."""
    from packaging.version import InvalidVersion, Version

    try:
        parsed = Version(version.strip().lstrip("vV"))
    except InvalidVersion:
        return True  # cannot tell: leave the comparison as configured
    return not parsed.is_prerelease


def populate_release_check(check: dict[str, Any], *, installs_older: bool) -> dict[str, Any]:
    """Adjust a release check that tracks prereleases or runs one, as the reference does.

    When ``current`` is not a stable version or prereleases are tracked, versions are
    compared in full (``force_base: false``) so an RC and its final release differ; an update
    method that ``installs_older`` (its capability) compares with ``python_unequal`` so that
    leaving an RC for the stable channel offers the newest stable even when it is older.
    ``update_branch`` (the ``{branch}`` of update scripts) becomes the channel followed,
    or the stable branch when leaving prereleases, unless the check sets it. A missing
    ``current`` is taken from a literal ``displayVersion``. Called for check types with the
    ``channels`` capability.
    """
    current = check.get("current")
    shown = check.get("displayVersion")
    if not current and isinstance(shown, str) and shown.strip() and "{" not in shown:
        # as the reference: a release check's displayVersion stands in for a missing current
        check = {**check, "current": shown}
        current = shown
    if not current:
        return check
    prerelease = check.get("prerelease") is True
    if not prerelease and _is_stable(str(current)):
        return check
    result = dict(check)
    result["force_base"] = False
    branch: Optional[str] = None
    if prerelease:
        channel = check.get("prerelease_channel")
        branch = str(channel) if channel else None
    else:
        stable = check.get("stable_branch")
        if isinstance(stable, Mapping) and isinstance(stable.get("branch"), str):
            branch = stable["branch"]
    if branch and not check.get("update_branch"):
        result["update_branch"] = branch
    if installs_older:
        result["release_compare"] = "python_unequal"
    return result
