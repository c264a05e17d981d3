"""The ``shared_cache`` setting parsed, and the hashed keys the farm's shared cache uses.

Split from :mod:`softwareupdate_core.store.shared_cache` (which re-exports the public names):
the settings never echo a password, and a key holds hashes only, never a credential or URL.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from typing import Any, Optional
from urllib.parse import quote, unquote, urlsplit

import attrs

from ..exceptions import ConfigurationInvalid
from ..redact import redact_urls

#: The setting's name, and the start of every key path in its error messages.
SETTING = "shared_cache"
DEFAULT_PREFIX = "softwareupdate"
#: Seconds to connect and seconds to wait for each answer of Redis.
DEFAULT_TIMEOUT = 0.5

_KNOWN_KEYS = ("url", "prefix", "timeout")
_PREFIX = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")
_SCOPE = re.compile(r"[0-9a-f]{32}")


# -- settings ------------------------------------------------------------------------------


@attrs.frozen(repr=False)
class SharedCacheSettings:
    """The parsed ``shared_cache`` setting; its repr and :attr:`display_url` mask the password."""

    scheme: str
    host: str
    port: int
    db: int
    username: Optional[str] = None
    password: Optional[str] = None
    prefix: str = DEFAULT_PREFIX
    timeout: float = DEFAULT_TIMEOUT

    @property
    def display_url(self) -> str:
        """The URL as it may be shown: a password is replaced by ``***``."""
        user = quote(self.username or "", safe="")
        if self.password is not None:
            userinfo = f"{user}:{quote(self.password, safe='')}@"
        elif user:
            userinfo = f"{user}@"
        else:
            userinfo = ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        # masked by the one secret policy, as every other URL the library shows
        return redact_urls(
            f"{self.scheme}://{userinfo}{host}:{self.port}/{self.db}", keep_user=True
        )

    def __repr__(self) -> str:
        return (
            f"SharedCacheSettings(url={self.display_url!r}, prefix={self.prefix!r}, "
            f"timeout={self.timeout!r})"
        )

    @classmethod
    def from_mapping(cls, value: Any) -> SharedCacheSettings:
        """Parse the ``shared_cache`` mapping; raises :class:`ConfigurationInvalid` naming the key.

        >>> SharedCacheSettings.from_mapping({"url": "redis://:pw@cache:6380/2"})
        SharedCacheSettings(url='redis://***@cache:6380/2', prefix='softwareupdate', timeout=0.5)
        """
        if not isinstance(value, Mapping):
            raise ConfigurationInvalid(
                f"expected a mapping with a url, got {type(value).__name__}", key=SETTING
            )
        for key in value:
            if key not in _KNOWN_KEYS:
                raise ConfigurationInvalid(
                    f"unknown key (known: {', '.join(_KNOWN_KEYS)})", key=f"{SETTING}.{key}"
                )
        if value.get("url") is None:
            raise ConfigurationInvalid(
                "missing: set a redis://host:port/db URL", key=f"{SETTING}.url"
            )
        parts = _parse_url(value["url"])
        return cls(
            **parts,
            prefix=_parse_prefix(value.get("prefix", DEFAULT_PREFIX)),
            timeout=_parse_timeout(value.get("timeout", DEFAULT_TIMEOUT)),
        )


def parse_shared_cache(value: Any) -> Optional[SharedCacheSettings]:
    """The ``shared_cache`` setting parsed, or None when it is unset (nothing is shared)."""
    if value is None:
        return None
    return SharedCacheSettings.from_mapping(value)


def _parse_url(url: Any) -> dict[str, Any]:
    """Split a Redis URL; errors name ``shared_cache.url`` and never echo the URL (or password)."""
    key = f"{SETTING}.url"
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationInvalid("expected a redis://host:port/db URL", key=key)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ConfigurationInvalid(
            "not a valid URL (expected redis://[:password@]host[:port][/db])", key=key
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss"):
        shown = f"'{scheme}'" if scheme else "none"
        raise ConfigurationInvalid(
            f"unsupported scheme {shown}: use redis:// or rediss:// (TLS)", key=key
        )
    if not parts.hostname:
        raise ConfigurationInvalid("the URL names no host", key=key)
    if parts.query or parts.fragment:
        raise ConfigurationInvalid(
            "query options are not supported: put the database number in the path (/0)", key=key
        )
    path = parts.path.strip("/")
    if path and not (path.isdigit() and path.isascii()):
        raise ConfigurationInvalid("the path must be a database number, e.g. /0", key=key)
    if port is not None and not 0 < port < 65536:
        raise ConfigurationInvalid("the port must be 1 to 65535", key=key)
    return {
        "scheme": scheme,
        "host": parts.hostname,
        "port": port or 6379,
        "db": int(path or 0),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password is not None else None,
    }


def _parse_prefix(value: Any) -> str:
    if not isinstance(value, str) or not _PREFIX.fullmatch(value) or not value.strip(":"):
        raise ConfigurationInvalid(
            "expected 1 to 100 letters, digits or _ . : -", key=f"{SETTING}.prefix"
        )
    return value.rstrip(":")


def _parse_timeout(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationInvalid("expected a number of seconds", key=f"{SETTING}.timeout")
    if not (math.isfinite(value) and 0 < value <= 30):
        raise ConfigurationInvalid("expected 0 < seconds <= 30", key=f"{SETTING}.timeout")
    return float(value)


# -- keys ----------------------------------------------------------------------------------


def credential_scope(*credentials: Optional[str]) -> Optional[str]:
    """A hash naming who may read an answer: None without credentials, else 32 hex digits.

    The same credentials give the same scope on every host; the scope does not reveal them.

    >>> credential_scope(None) is None
    True
    >>> len(credential_scope("ghp_token") or "")
    32
    """
    present = [c for c in credentials if c]
    if not present:
        return None
    digest = hashlib.sha256(b"softwareupdate-core credential scope v1")
    for credential in present:
        data = credential.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:32]


def _hash(kind: str, text: str) -> str:
    return hashlib.sha256(f"softwareupdate-core {kind} v1\0{text}".encode()).hexdigest()[:40]


def _check_scope(_instance: Any, _attribute: Any, value: Optional[str]) -> None:
    if value is not None and not _SCOPE.fullmatch(value):
        raise ValueError("a scope is the value of credential_scope(), never a credential")


@attrs.frozen
class AnswerKey:
    """Where the answer for one URL and credential scope lives; holds hashes only."""

    url_hash: str
    scope: Optional[str] = attrs.field(default=None, validator=_check_scope)

    @classmethod
    def for_url(cls, url: str, scope: Optional[str] = None) -> AnswerKey:
        """The key of ``url`` fetched with credentials of scope ``scope`` (or none)."""
        return cls(_hash("url", url), scope)

    @property
    def name(self) -> str:
        """``<scope or anon>:<url hash>``, the end of the Redis key names."""
        return f"{self.scope or 'anon'}:{self.url_hash}"


__all__ = [
    "DEFAULT_PREFIX",
    "DEFAULT_TIMEOUT",
    "SETTING",
    "AnswerKey",
    "SharedCacheSettings",
    "credential_scope",
    "parse_shared_cache",
]
