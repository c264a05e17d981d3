"""Choosing the release a release-type check offers: channels, drafts, prereleases, newest.

Forge-neutral: the GitHub, GitLab and Forgejo checks turn their API's release objects into
:class:`Release` values and share the rules here, which follow the reference plugin's
``prerelease``, ``prerelease_channel``, ``stable_branch`` and ``prerelease_branches`` keys.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Callable, Optional

import attrs

from .. import versions
from ..exceptions import CheckError, ConfigurationInvalid
from ..models import ReleaseChannel, RemoteRef, VersionInformation, VersionRef
from ._channels import parse_channel
from ._checkconfig import key_path, optional_text, remote_version

log = logging.getLogger(__name__)

#: Schemes that order versions themselves; for the others the forge's newest-first order
#: decides when no tag reads as a version.
_ORDERED = ("python", "python_unequal", "semantic", "semantic_unequal")


@attrs.frozen
class Release:
    """One release as a forge lists it (``tag`` is what gets compared)."""

    tag: str
    name: str
    prerelease: bool = False
    draft: bool = False
    #: The branch or commit the release was tagged on (GitHub's ``target_commitish``).
    commitish: Optional[str] = None
    notes_url: Optional[str] = None


@attrs.frozen
class ReleaseSelection:
    """How a check picks its release, read once from the check config."""

    prerelease: bool = False
    #: Allowed commitish values, or None when releases are not filtered by channel.
    commitish: Optional[frozenset[str]] = None
    compare: str = "python"
    force_base: bool = False
    custom: Optional[Callable[[str, str], bool]] = None

    def accepts(self, release: Release) -> bool:
        """Drafts never count; stable releases always do; prereleases when wanted and on channel.

        A channel's commitish list only filters prereleases: a stable release is eligible on
        every channel, so an RC channel that does not list the stable branch still offers it.
        """
        if release.draft:
            return False
        if not release.prerelease:
            return True
        if not self.prerelease:
            return False
        return self.commitish is None or release.commitish in self.commitish


def selection_from(target: str, check: Mapping[str, Any]) -> ReleaseSelection:
    """Read how releases are chosen: ``prerelease``, channels, comparison.

    The keys: ``prerelease``, ``prerelease_channel``, ``stable_branch``,
    ``prerelease_branches``, ``release_compare``, ``force_base`` and ``custom_compare``.

    ``prerelease_channel`` only counts with ``prerelease: true``; it names a channel of
    ``stable_branch``/``prerelease_branches`` whose ``commitish`` list (default: its branch)
    the release's commitish must be in. A channel not defined there matches its own name.
    """
    prerelease = _flag(target, check, "prerelease")
    commitish: Optional[frozenset[str]] = None
    channel = optional_text(target, check, "prerelease_channel")
    if prerelease and channel:
        known = {c.branch: c for c in channels_from(target, check)}
        chosen = known.get(channel)
        values = chosen.commitish if chosen is not None and chosen.commitish else (channel,)
        commitish = frozenset(values)
    compare = compare_method(target, check)
    custom = check.get("custom_compare")
    return ReleaseSelection(
        prerelease=prerelease,
        commitish=commitish,
        compare=compare,
        force_base=_flag(target, check, "force_base"),
        custom=custom if callable(custom) else None,
    )


def compare_method(target: str, check: Mapping[str, Any]) -> str:
    """``release_compare``, falling back to ``python`` (with a warning) when it is unusable.

    Real configs name schemes that do not exist (``semantic_version``) or ask for ``custom``
    without a ``custom_compare`` callable; as in the reference, such a target is compared
    the ``python`` way instead of failing.
    """
    raw = check.get("release_compare")
    if raw is None or raw == "":
        return "python"
    if not isinstance(raw, str) or raw not in versions.COMPARE_METHODS:
        log.warning(
            "%s: unknown comparison %s, comparing as 'python' (known: %s)",
            key_path(target, "release_compare"),
            ascii(raw)[:60] if isinstance(raw, str) else f"a {type(raw).__name__}",
            ", ".join(versions.COMPARE_METHODS),
        )
        return "python"
    if raw == "custom" and not callable(check.get("custom_compare")):
        log.warning(
            "%s: 'custom' needs a callable custom_compare(local, remote); comparing as 'python'",
            key_path(target, "release_compare"),
        )
        return "python"
    return raw


def installed_version(target: str, check: Mapping[str, Any]) -> str:
    """``current``: without it a release check cannot know what is installed, so it is a
    configuration error naming the key rather than an update offered from "unknown"."""
    current = optional_text(target, check, "current")
    if current is None or not current.strip():
        raise ConfigurationInvalid(
            "is mandatory: the installed version is not known (set current, or the plugin's "
            "version as displayVersion)",
            key=key_path(target, "current"),
        )
    return current


def channels_from(target: str, check: Mapping[str, Any]) -> tuple[ReleaseChannel, ...]:
    """The channels of ``stable_branch`` and ``prerelease_branches``, stable first, validated
    by the one channel parser (:func:`._channels.parse_channel`)."""
    found: list[ReleaseChannel] = []
    stable = check.get("stable_branch")
    if stable is not None:
        found.append(parse_channel(stable, target=target, key="stable_branch"))
    branches = check.get("prerelease_branches")
    if branches is not None:
        if not isinstance(branches, (list, tuple)):
            raise ConfigurationInvalid(
                "expected a list of channels", key=key_path(target, "prerelease_branches")
            )
        for n, entry in enumerate(branches):
            found.append(parse_channel(entry, target=target, key=f"prerelease_branches[{n}]"))
    return tuple(found)


def _flag(target: str, check: Mapping[str, Any], key: str) -> bool:
    value = check.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigurationInvalid("expected true or false", key=key_path(target, key))
    return value


def plausible(target: str, releases: Iterable[Release]) -> list[Release]:
    """Drop releases whose tag is not a plausible version string (empty, ``-x``, control chars).

    One warning line sums up what was dropped, however many releases that were.
    """
    kept = []
    dropped = 0
    example = ""
    for release in releases:
        try:
            remote_version(target, release.tag, "a release tag")
        except CheckError as exc:
            dropped += 1
            example = example or str(exc).removeprefix(f"{target}: ")
            continue
        kept.append(release)
    if dropped:
        log.warning(
            "%s: ignoring %d release%s without a usable tag (first: %s)",
            target,
            dropped,
            "" if dropped == 1 else "s",
            example,
        )
    return kept


def usable(target: str, release: Release) -> bool:
    """Whether the release's tag is a plausible version string (see :func:`plausible`)."""
    try:
        remote_version(target, release.tag, "a release tag")
    except CheckError:
        return False
    return True


def pick_newest(releases: Sequence[Release], selection: ReleaseSelection) -> Optional[Release]:
    """The newest release the selection accepts; ``releases`` come in newest-first order.

    ``python*``/``semantic*`` order by version; ``unequal``/``custom`` take the greatest PEP 440
    version too when tags read as versions, else the first (most recent) release. If releases
    qualify but no tag reads as a version under an ordering scheme, that is a CheckError.
    """
    candidates = [r for r in releases if selection.accepts(r)]
    if not candidates:
        return None
    tags = [r.tag for r in candidates]
    ordered = selection.compare if selection.compare in _ORDERED else "python"
    best = versions.newest(tags, compare=ordered)
    if best is None:
        if selection.compare in _ORDERED:
            shown = ", ".join(ascii(t[:40]) for t in tags[:5])
            raise CheckError(
                f"no release tag is a version under release_compare {selection.compare!r}: {shown}"
            )
        return candidates[0]
    return candidates[tags.index(best)]


def information(
    current: Optional[str], latest: Optional[Release], selection: ReleaseSelection
) -> tuple[VersionInformation, bool]:
    """The check's answer: no release means current; no local version means not current."""
    if latest is None:
        remote = RemoteRef(name=None, value=None)
        is_current = True
    else:
        remote = RemoteRef(
            name=latest.name or latest.tag, value=latest.tag, release_notes=latest.notes_url
        )
        is_current = current is not None and versions.is_current(
            current,
            latest.tag,
            compare=selection.compare,
            force_base=selection.force_base,
            custom=selection.custom,
        )
    local = VersionRef(name=current, value=current)
    return VersionInformation(local=local, remote=remote), is_current
