"""Release-channel rules shared by the check round and the release checks.

Kept free of heavy imports: the check round reads channels of every target, including those
answered from the version cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

#: Check types that choose among releases and have release channels.
RELEASE_TYPES = frozenset(
    {"github_release", "forgejo_release", "codeberg_release", "gitlab_release"}
)
#: Misspellings of a channel's ``commitish`` key found in real plugin configs, read as it.
MISSPELT_COMMITISH = ("comittish", "committish")
#: Update methods that can install an older version, so leaving a prerelease may downgrade.
_DOWNGRADING_METHODS = ("pip", "update_script")


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


def populate_release_check(check: dict[str, Any]) -> dict[str, Any]:
    """Adjust a release check that tracks prereleases or runs one, as the reference does.

    When ``current`` is not a stable version or prereleases are tracked, versions are
    compared in full (``force_base: false``) so an RC and its final release differ; ``pip``
    and ``update_script`` installs compare with ``python_unequal`` so that leaving an RC for
    the stable channel offers the newest stable even when it is older. ``update_branch``
    (the ``{branch}`` of ``update_script``) becomes the channel followed, or the stable branch
    when leaving prereleases, unless the check sets it. A missing ``current`` is taken from a
    literal ``displayVersion``. Other checks are returned unchanged.
    """
    if check.get("type") not in RELEASE_TYPES:
        return check
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
    from ..updaters import select_method

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
    if select_method(check) in _DOWNGRADING_METHODS:
        result["release_compare"] = "python_unequal"
    return result
