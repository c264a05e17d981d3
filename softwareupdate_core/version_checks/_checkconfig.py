"""Reading a check's config keys, and vetting version strings that come from a server.

Check configs come from YAML and hook-providing plugins, so values may have any type; these
helpers turn them into typed values or raise :class:`ConfigurationInvalid` naming
``checks.<target>.<key>`` and what was expected (never echoing a value that might be secret).
Remote versions are untrusted: :func:`remote_version` and :func:`commit_hash` refuse values
that could be mistaken for a command-line option or smuggle control characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Optional, TypeVar
from urllib.parse import quote, urlsplit

from ..exceptions import CheckError, ConfigurationInvalid
from ..models import RemoteRef, VersionInformation, VersionRef
from ..protocols import require_online as _require_online
from ..remote_values import MAX_LENGTH, shown_value, value_problem

_Parsed = TypeVar("_Parsed")

#: Longest version string accepted from a server (the one limit of :mod:`.remote_values`).
MAX_VERSION_LENGTH = MAX_LENGTH
_HEX = frozenset("0123456789abcdefABCDEF")


def key_path(target: str, key: str) -> str:
    """The key path used in messages, e.g. ``checks.octoprint.user``."""
    return f"checks.{target}.{key}"


def optional_text(target: str, check: Mapping[str, Any], key: str) -> Optional[str]:
    """A string value, or None when unset; numbers are accepted (YAML reads ``1234567`` so)."""
    value = check.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigurationInvalid(
            f"expected a string, got {type(value).__name__}", key=key_path(target, key)
        )
    return str(value)


def required_text(target: str, check: Mapping[str, Any], key: str) -> str:
    """A non-empty string value that the check cannot do without."""
    value = optional_text(target, check, key)
    if value is None or not value.strip():
        raise ConfigurationInvalid(
            "is mandatory: expected a non-empty string", key=key_path(target, key)
        )
    return value


def text_or(target: str, check: Mapping[str, Any], key: str, default: str) -> str:
    """A string value, or ``default`` when unset or empty."""
    value = optional_text(target, check, key)
    return value if value else default


def version_text(target: str, check: Mapping[str, Any], key: str, default: str) -> str:
    """A configured version (a string or a YAML number), or ``default`` when unset."""
    value = check.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigurationInvalid(
            f"expected a version string, got {type(value).__name__}", key=key_path(target, key)
        )
    text = str(value).strip()
    if not text:
        raise ConfigurationInvalid("must not be empty", key=key_path(target, key))
    return text


def seconds(target: str, check: Mapping[str, Any], key: str, default: float) -> float:
    """A positive number of seconds, or ``default`` when unset."""
    raw = check.get(key, default)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not raw > 0:
        raise ConfigurationInvalid(
            f"expected a positive number of seconds, got {raw!r}", key=key_path(target, key)
        )
    return float(raw)


def positive_int(target: str, check: Mapping[str, Any], key: str, default: int) -> int:
    """A positive integer value, or ``default`` when unset."""
    value = check.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationInvalid("expected a positive integer", key=key_path(target, key))
    return value


def http_url(target: str, key: str, value: str) -> str:
    """``value`` if it is an absolute http(s) URL (without trailing slash); else an error."""
    try:
        parts = urlsplit(value.strip())
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ConfigurationInvalid(
            "expected an absolute http:// or https:// URL", key=key_path(target, key)
        )
    return value.strip().rstrip("/")


def segment(target: str, key: str, value: str) -> str:
    """``value`` quoted as one URL path segment, so ``/``, ``?`` or ``#`` cannot escape it.

    ``.`` and ``..`` are refused: HTTP libraries normalise ``%2E`` back to a dot, and a dot
    segment would walk to another endpoint.
    """
    if value in (".", ".."):
        raise ConfigurationInvalid("expected a name, got a dot segment", key=key_path(target, key))
    return quote(value, safe="")


def remote_version(target: str, value: object, what: str) -> str:
    """``value`` (stripped) if it is a plausible version string from a server; else a CheckError.

    Plausible as :func:`~softwareupdate_core.remote_values.value_problem` says for a
    ``version``: a non-empty string of at most ``MAX_LENGTH`` printable characters that does
    not start with ``-`` (so it can never pass for a command-line option).
    """
    if not isinstance(value, str):
        got = "nothing" if value is None else f"a {type(value).__name__}"
        raise CheckError(f"{target}: expected {what}, got {got}")
    text = value.strip()
    problem = value_problem(text, "version")
    if problem:
        raise CheckError(f"{target}: expected {what}, got {shown_value(text)}: {problem}")
    return text


def commit_hash(target: str, value: object, what: str) -> str:
    """``value`` if it is a hexadecimal commit id (7 to 64 digits); else a CheckError."""
    text = remote_version(target, value, what)
    if not 7 <= len(text) <= 64 or not set(text) <= _HEX:
        raise CheckError(f"{target}: expected {what}, got {shown_value(text)}")
    return text


def require_online(target: str, check: Mapping[str, Any], online: bool, what: str) -> None:
    """Raise CannotCheckOffline when the host is offline, unless the check says ``offline: true``.

    The rule itself is :func:`softwareupdate_core.protocols.require_online`, shared with the
    rounds and the updaters; this is its form for a check module called directly.
    """
    _require_online(target, check, online, what)


def web_url(value: object) -> Optional[str]:
    """``value`` if it is a printable http(s) URL (a page to link to), else None."""
    if (
        isinstance(value, str)
        and value.lower().startswith(("https://", "http://"))
        and value.isprintable()
    ):
        return value
    return None


def commit_information(
    current: Optional[str], remote: str, page: Optional[str]
) -> tuple[VersionInformation, bool]:
    """The answer of a commit check: ``current`` against the remote commit (case-insensitive)."""
    information = VersionInformation(
        local=VersionRef(name=current or "unknown", value=current),
        remote=RemoteRef(name=remote, value=remote, release_notes=page),
    )
    is_current = current is not None and current.strip().lower() == remote.lower()
    return information, is_current


def parsed_config(
    kwargs: Mapping[str, Any],
    kind: type[_Parsed],
    parse: Callable[[str, Mapping[str, Any]], _Parsed],
    target: str,
    check: Mapping[str, Any],
) -> _Parsed:
    """The config a round already parsed (its ``parsed`` keyword) when it is of ``kind``, else
    ``parse(target, check)`` now: one parse per target and round, and direct callers still work."""
    given = kwargs.get("parsed")
    return given if isinstance(given, kind) else parse(target, check)
