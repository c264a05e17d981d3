"""Version comparison schemes: is the local version current, given the remote one?

The scheme names are the reference plugin's ``release_compare`` values:

``python``
    PEP 440 ordering (:mod:`packaging`); current unless remote > local.
``python_unequal``
    current iff both parse to equal PEP 440 versions (a remote downgrade is an update).
``semantic``
    Semantic Versioning ordering (:mod:`semantic_version`, coercing ``v1.2`` and PEP 440-ish
    strings); current unless remote > local.
``semantic_unequal``
    current iff both coerce to equal semantic versions (build metadata included).
``unequal``
    plain string comparison after stripping whitespace and a leading ``v``.
``custom``
    a callable ``custom(local, remote)`` returns True when the local version is current.

Real-world tags are parsed tolerantly (``v1.2.3``, `` 1.2.3 ``, ``1.2.3-dev12``,
``1.3.0.post1+g1014712``, ``1.2.16rc2``, ``git describe`` output such as ``1.2.3-4-gabc123``);
a string that still cannot be read, or is absurd (longer than 200 characters, control
characters), raises :class:`~softwareupdate_core.exceptions.CheckError` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Callable, Optional

import semantic_version
from packaging.version import InvalidVersion, Version

from .exceptions import CheckError, ConfigurationInvalid, SoftwareUpdateError
from .remote_values import MAX_LENGTH, value_problem

#: The comparison scheme names a check's ``release_compare`` may use.
COMPARE_METHODS: tuple[str, ...] = (
    "python",
    "python_unequal",
    "semantic",
    "semantic_unequal",
    "unequal",
    "custom",
)

#: Longest version string accepted; anything longer is not a version but an accident or attack
#: (the one limit of :mod:`.remote_values`).
MAX_VERSION_LENGTH = MAX_LENGTH

#: ``git describe`` output: ``<tag>-<commits since tag>-g<abbreviated hash>[-dirty]``.
_GIT_DESCRIBE = re.compile(r"(?P<tag>.+?)-(?P<distance>[0-9]+)-g(?P<sha>[0-9a-fA-F]+)(?:-dirty)?")

#: Surrounding characters stripped before parsing (ASCII whitespace only; see _clean).
_WHITESPACE = " \t\r\n\f\v"


def _shorten(text: str, limit: int = 40) -> str:
    """``repr`` of ``text``, cut to ``limit`` characters so messages stay readable."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _clean(text: Any) -> str:
    """Strip surrounding whitespace; reject non-strings, absurd lengths and control characters."""
    if not isinstance(text, str):
        raise CheckError(f"expected a version string, got {type(text).__name__} {text!r:.60}")
    stripped = text.strip(_WHITESPACE)
    problem = value_problem(stripped, "name") if stripped else ""
    if problem:
        raise CheckError(f"version string {_shorten(stripped)} refused: {problem}")
    return stripped


def _strip_v(text: str) -> str:
    """Drop one leading ``v``/``V`` in front of a digit (``v1.2`` -> ``1.2``)."""
    if len(text) > 1 and text[0] in "vV" and text[1].isdigit():
        return text[1:]
    return text


def _normalize(text: Any) -> str:
    """The cleaned string, without ``v`` and with ``git describe`` rewritten as a post-release."""
    cleaned = _strip_v(_clean(text))
    match = _GIT_DESCRIBE.fullmatch(cleaned)
    if match:
        return f"{match['tag']}.post{match['distance']}+g{match['sha'].lower()}"
    return cleaned


def parse_version(text: str) -> Version:
    """Parse ``text`` as a PEP 440 version, tolerating common tag spellings.

    >>> parse_version(" v1.2.3 ")
    <Version('1.2.3')>
    >>> parse_version("1.2.3-dev12")
    <Version('1.2.3.dev12')>
    >>> parse_version("1.2.3-4-gABC123")
    <Version('1.2.3.post4+gabc123')>

    Raises:
        CheckError: naming the string, if it is not a version.
    """
    normalized = _normalize(text)
    try:
        return Version(normalized)
    except InvalidVersion:
        raise CheckError(f"not a PEP 440 version: {_shorten(text)}") from None


def base_version(text: str) -> str:
    """The release part of a version, without pre/post/dev/local segments.

    >>> base_version("1.2.16dev1")
    '1.2.16'
    >>> base_version("v1.3.0.post1+g1014712")
    '1.3.0'
    """
    return parse_version(text).base_version


def parse_semantic(text: str) -> semantic_version.Version:
    """Parse ``text`` as a semantic version, coercing ``v1.2`` and PEP 440-ish strings.

    >>> str(parse_semantic("v1.2"))
    '1.2.0'
    >>> str(parse_semantic("1.2.16rc2"))
    '1.2.16-rc2'

    Raises:
        CheckError: naming the string, if it cannot be coerced.
    """
    normalized = _normalize(text)
    try:
        return semantic_version.Version.coerce(normalized)
    except (ValueError, TypeError):
        raise CheckError(f"not a semantic version: {_shorten(text)}") from None


def _semantic_base(version: semantic_version.Version) -> semantic_version.Version:
    return semantic_version.Version(major=version.major, minor=version.minor, patch=version.patch)


def _check_method(compare: str) -> None:
    if compare not in COMPARE_METHODS:
        raise ConfigurationInvalid(
            f"unknown comparison {compare!r}, expected one of {', '.join(COMPARE_METHODS)}",
            key="release_compare",
        )


def is_current(
    local: str,
    remote: str,
    *,
    compare: str = "python",
    force_base: bool = False,
    custom: Optional[Callable[[str, str], bool]] = None,
) -> bool:
    """Whether ``local`` is current given ``remote``, under the scheme ``compare``.

    ``force_base`` compares only the local *base* version (its release part) against the
    remote, so a development build counts as current once the remote has its release number.
    It applies to the ``python*`` and ``semantic*`` schemes.

    >>> is_current("1.2.15", "1.2.16")
    False
    >>> is_current("1.2.16dev1", "1.2.16dev2")
    False
    >>> is_current("1.2.16dev1", "1.2.16dev2", force_base=True)
    True
    >>> is_current("1.2.16dev3", "1.2.16dev2", compare="python_unequal")
    False
    >>> is_current("v1.0", "1.0 ", compare="unequal")
    True

    Raises:
        ConfigurationInvalid: for an unknown ``compare`` or ``custom`` without a callable.
        CheckError: when a version cannot be parsed under the scheme, or ``custom`` fails.
    """
    _check_method(compare)
    if compare in ("python", "python_unequal"):
        local_version = parse_version(local)
        remote_version = parse_version(remote)
        if force_base:
            local_version = Version(local_version.base_version)
        if compare == "python":
            return not remote_version > local_version
        return local_version == remote_version
    if compare in ("semantic", "semantic_unequal"):
        local_semantic = parse_semantic(local)
        remote_semantic = parse_semantic(remote)
        if force_base:
            local_semantic = _semantic_base(local_semantic)
        if compare == "semantic":
            return not remote_semantic > local_semantic
        return bool(local_semantic == remote_semantic)
    if compare == "unequal":
        return _strip_v(_clean(local)) == _strip_v(_clean(remote))
    return _call_custom(custom, _clean(local), _clean(remote))


def _call_custom(custom: Optional[Callable[[str, str], bool]], local: str, remote: str) -> bool:
    if custom is None or not callable(custom):
        raise ConfigurationInvalid(
            "release_compare 'custom' needs a callable custom(local, remote) -> bool",
            key="release_compare",
        )
    try:
        return bool(custom(local, remote))
    except SoftwareUpdateError:
        raise
    except Exception as exc:
        raise CheckError(
            f"custom version comparison failed for local {_shorten(local)} and remote "
            f"{_shorten(remote)}: {type(exc).__name__}: {exc}"
        ) from exc


def newest(versions: Iterable[str], compare: str = "python") -> Optional[str]:
    """The greatest parseable version string of ``versions``, or None if none parses.

    Unparseable strings are skipped; of equal versions the first one wins. ``semantic*``
    schemes sort semantically, all others (which have no order of their own) by PEP 440.

    >>> newest(["v1.9", "1.10.0rc1", "junk", "1.10"])
    '1.10'
    >>> newest(["junk"]) is None
    True
    """
    _check_method(compare)
    parse: Callable[[str], Any] = (
        parse_semantic if compare.startswith("semantic") else parse_version
    )
    best: Optional[str] = None
    best_key: Any = None
    for text in versions:
        try:
            key = parse(text)
        except CheckError:
            continue
        if best is None or key > best_key:
            best, best_key = text, key
    return best
