"""A cache that the hosts of a print farm share on Redis: answers, rate limits, overlays, leases.

Set with ``shared_cache: {url: redis://host:port/db, prefix: ...}`` (needs the ``redis``
package: ``pip install 'softwareupdate-core[redis]'``). The hosts behind one address share

- HTTP answers with their validators, per URL and **credential scope** (a SHA-256 of the
  credential from :func:`credential_scope`, never the credential: an answer fetched with a
  token is only found again under that token's scope);
- each upstream host's rate-limit state, so once the farm's quota is spent no host asks
  before the reset;
- overlay documents, with a time to live;
- single-flight leases: one host asks upstream, the others :meth:`SharedCache.wait_for_answer`.

Key names hold hashes only: no credential, no URL (a query string may carry a secret).
Values are versioned, tagged JSON, size-capped; a value that does not read as one is ignored.

Redis is a helper, never a dependency of a round: every call has a connect and read timeout
(0.5 s by default) and no retries, and any fault (down, slow, restarted, out of memory, a
garbage value) makes the call return nothing (``None``/``False``). The first fault of a round
logs one warning (:meth:`SharedCache.begin_round` starts a round), then the cache stays quiet
for ``retry_after`` seconds, so a hanging server costs one timeout, not one per target; the
next call after that (or the next round) connects again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import math
import re
import secrets
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union
from urllib.parse import quote, unquote, urlsplit

import attrs

from ..exceptions import ConfigurationInvalid
from ..redact import MASK, redact_known, redact_urls

if TYPE_CHECKING:  # the redis package is optional: imported when a cache is first used
    import redis

log = logging.getLogger(__name__)

#: The setting's name, and the start of every key path in its error messages.
SETTING = "shared_cache"
DEFAULT_PREFIX = "softwareupdate"
#: Seconds to connect and seconds to wait for each answer of Redis.
DEFAULT_TIMEOUT = 0.5
#: Seconds the cache stays quiet after a fault before it connects again.
DEFAULT_RETRY_AFTER = 2.0
#: Largest value written (bytes of encoded JSON); a larger answer stays local.
MAX_VALUE_BYTES = 1024 * 1024
#: Seconds an HTTP answer is kept: its validators stay useful long after it is stale.
DEFAULT_ANSWER_TTL = 7 * 24 * 3600.0
#: Version of the value format; a value of another version is ignored.
FORMAT_VERSION = 1
#: The only response headers an answer keeps (lower case): nothing that can carry a secret.
ANSWER_HEADERS = frozenset(
    {"content-type", "link", "date", "cache-control", "expires", "age", "content-language"}
)

_KNOWN_KEYS = ("url", "prefix", "timeout")
_PREFIX = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")
_SCOPE = re.compile(r"[0-9a-f]{32}")
_MASK = MASK

# Compare-and-delete: a holder whose lease expired and went to another host deletes nothing.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

# Store a rate-limit state unless the stored one is of a later window, or of the same window
# with fewer requests left (an older answer arriving late must not reopen a spent quota).
_PUT_RATE = """
local old = redis.call('GET', KEYS[1])
if old then
    local ok, doc = pcall(cjson.decode, old)
    if ok and type(doc) == 'table' and doc['type'] == 'rate_limit'
            and type(doc['reset_at']) == 'number' and type(doc['remaining']) == 'number' then
        local reset = tonumber(ARGV[2])
        if doc['reset_at'] > reset
                or (doc['reset_at'] == reset and doc['remaining'] <= tonumber(ARGV[3])) then
            return 0
        end
    end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
return 1
"""

T = TypeVar("T")


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


# -- values --------------------------------------------------------------------------------


def _answer_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """Only the headers in :data:`ANSWER_HEADERS`, names in lower case."""
    kept = {str(k).lower(): str(v) for k, v in headers.items()}
    return {k: v for k, v in kept.items() if k in ANSWER_HEADERS}


@attrs.frozen
class CachedAnswer:
    """One HTTP answer as the farm shares it: status, body, a few headers and validators."""

    status: int
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_answer_headers)
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    #: Epoch seconds when it was fetched (the fetching host's clock).
    stored_at: float = 0.0


@attrs.frozen
class RateLimitState:
    """What an upstream host last said about a quota: requests left and when it refills."""

    remaining: int
    #: Epoch seconds when the quota refills.
    reset_at: float
    limit: Optional[int] = None
    updated_at: float = 0.0

    def exhausted(self, now: float) -> bool:
        """Whether no request may go out before the reset."""
        return self.remaining <= 0 and now < self.reset_at


@attrs.frozen
class SharedDocument:
    """A fetched document (an overlay) as the farm shares it."""

    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    stored_at: float = 0.0


@attrs.frozen
class Lease:
    """The right to ask upstream for one key, until released or ``ttl_ms`` runs out."""

    key: AnswerKey
    token: str = attrs.field(repr=False)
    ttl_ms: int


class _Garbage(ValueError):
    """A stored value that does not read as what its key holds."""


def _encode(kind: str, fields: Mapping[str, Any]) -> bytes:
    return json.dumps(
        {"type": kind, "version": FORMAT_VERSION, **fields},
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def _decode(kind: str, raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, bytes):
        raise _Garbage("not a string value")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Garbage("not JSON") from None
    if not isinstance(doc, dict) or doc.get("type") != kind:
        raise _Garbage(f"not a {kind} value")
    if doc.get("version") != FORMAT_VERSION:
        raise _Garbage(f"unknown version {doc.get('version')!r}")
    return doc


def _body_fields(body: bytes) -> dict[str, str]:
    try:
        return {"body": body.decode("utf-8"), "encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def _body(doc: Mapping[str, Any]) -> bytes:
    text, encoding = doc.get("body"), doc.get("encoding")
    if not isinstance(text, str):
        raise _Garbage("body is not a string")
    if encoding == "utf-8":
        return text.encode("utf-8")
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _Garbage("body is not base64") from None
    raise _Garbage("unknown body encoding")


def _number(doc: Mapping[str, Any], name: str) -> float:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Garbage(f"{name} is not a number")
    return float(value)


def _integer(doc: Mapping[str, Any], name: str) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Garbage(f"{name} is not an integer")
    return value


def _optional_text(doc: Mapping[str, Any], name: str) -> Optional[str]:
    value = doc.get(name)
    if value is not None and not isinstance(value, str):
        raise _Garbage(f"{name} is not a string")
    return value


def _answer_from(doc: Mapping[str, Any]) -> CachedAnswer:
    status = _integer(doc, "status")
    if not 100 <= status <= 599:
        raise _Garbage("status out of range")
    headers = doc.get("headers")
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise _Garbage("headers are not strings")
    return CachedAnswer(
        status,
        _body(doc),
        headers,
        etag=_optional_text(doc, "etag"),
        last_modified=_optional_text(doc, "last_modified"),
        stored_at=_number(doc, "stored_at"),
    )


def _rate_from(doc: Mapping[str, Any]) -> RateLimitState:
    limit = doc.get("limit")
    if limit is not None:
        limit = _integer(doc, "limit")
    return RateLimitState(
        remaining=_integer(doc, "remaining"),
        reset_at=_number(doc, "reset_at"),
        limit=limit,
        updated_at=_number(doc, "updated_at"),
    )


# -- the cache -----------------------------------------------------------------------------


class _Unavailable(Exception):
    """Redis did not answer (or is resting after a fault): the call returns nothing."""


@attrs.define(repr=False)
class SharedCache:
    """The farm's shared cache on Redis; every method returns nothing rather than raise.

    Thread-safe. Create one per process with :meth:`from_settings`; call :meth:`begin_round`
    at the start of each check round and :meth:`close` when done.
    """

    settings: SharedCacheSettings
    #: Wall clock (epoch seconds) for stored_at and expiry; injected by tests.
    clock: Callable[[], float] = time.time
    retry_after: float = DEFAULT_RETRY_AFTER
    max_value_bytes: int = MAX_VALUE_BYTES
    #: How many faults (errors, timeouts, unreadable values) this cache has met.
    faults: int = 0
    _client: Optional[redis.Redis] = None
    _quiet_until: float = 0.0
    _warned: bool = False
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def __attrs_post_init__(self) -> None:
        try:
            import redis  # noqa: F401  (only to say clearly when it is missing)
        except ImportError:
            raise ConfigurationInvalid(
                "needs the redis package: pip install 'softwareupdate-core[redis]'", key=SETTING
            ) from None

    @classmethod
    def from_settings(cls, value: Any, **kwargs: Any) -> Optional[SharedCache]:
        """A cache for the ``shared_cache`` setting (mapping or parsed), or None when unset."""
        settings = value if isinstance(value, SharedCacheSettings) else parse_shared_cache(value)
        return None if settings is None else cls(settings, **kwargs)

    def __repr__(self) -> str:
        return f"SharedCache(url={self.settings.display_url!r}, prefix={self.settings.prefix!r})"

    def __enter__(self) -> SharedCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- rounds and faults ---------------------------------------------------------------
    def begin_round(self) -> None:
        """Start a round: the next fault logs a warning again, and Redis is tried again now."""
        with self._lock:
            self._warned = False
            self._quiet_until = 0.0

    @property
    def available(self) -> bool:
        """False while the cache rests after a fault (calls return nothing without asking)."""
        with self._lock:
            return time.monotonic() >= self._quiet_until

    def close(self) -> None:
        """Close the connections (a later call opens new ones)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _redis(self) -> redis.Redis:
        with self._lock:
            if time.monotonic() < self._quiet_until:
                raise _Unavailable
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> redis.Redis:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        s = self.settings
        return redis.Redis(
            host=s.host,
            port=s.port,
            db=s.db,
            username=s.username,
            password=s.password,
            ssl=s.scheme == "rediss",
            socket_timeout=s.timeout,
            socket_connect_timeout=s.timeout,
            retry=Retry(NoBackoff(), 0),  # one try per call: a fault returns nothing at once
            health_check_interval=0,
        )

    def _call(self, what: str, action: Callable[[redis.Redis], T]) -> T:
        """Run one Redis action; a fault is logged (once a round) and raised as _Unavailable."""
        import redis

        client = self._redis()
        try:
            return action(client)
        except (redis.RedisError, OSError) as exc:
            self._fault(what, exc)
            with self._lock:
                self._quiet_until = time.monotonic() + self.retry_after
                stale, self._client = self._client, None
            if stale is not None:
                stale.close()  # drop the pool: the next call connects afresh
            raise _Unavailable from None

    def _fault(self, what: str, exc: BaseException) -> None:
        with self._lock:
            self.faults += 1
            first, self._warned = not self._warned, True
        reason = self._mask(f"{type(exc).__name__}: {exc}")
        if first:
            log.warning(
                "Shared cache %s: %s failed (%s); using local state and own requests this round",
                self.settings.display_url,
                what,
                reason,
            )
        else:
            log.debug("Shared cache %s: %s failed (%s)", self.settings.display_url, what, reason)

    def _mask(self, text: str) -> str:
        return redact_known(text, self.settings.password)

    def _read(
        self, what: str, kind: str, raw: Any, parse: Callable[[Mapping[str, Any]], T]
    ) -> Optional[T]:
        """A stored value read as ``kind``; an unreadable one counts as a fault and gives None."""
        if raw is None:
            return None
        try:
            return parse(_decode(kind, raw))
        except (_Garbage, TypeError, ValueError) as exc:
            self._fault(what, _Garbage(f"ignored an unreadable value: {exc}"))
            return None

    def _key(self, *parts: str) -> str:
        return ":".join((self.settings.prefix, *parts))

    def _fits(self, what: str, value: bytes) -> bool:
        if len(value) > self.max_value_bytes:
            log.debug(
                "Shared cache: %s not stored: %d bytes > %d", what, len(value), self.max_value_bytes
            )
            return False
        return True

    # -- HTTP answers --------------------------------------------------------------------
    def get_answer(self, key: AnswerKey) -> Optional[CachedAnswer]:
        """The stored answer for ``key``, or None (none stored, or the cache is unavailable)."""
        try:
            raw = self._call("reading an answer", lambda r: r.get(self._key("answer", key.name)))
        except _Unavailable:
            return None
        return self._read("reading an answer", "http_answer", raw, _answer_from)

    def put_answer(
        self, key: AnswerKey, answer: CachedAnswer, *, ttl: float = DEFAULT_ANSWER_TTL
    ) -> bool:
        """Store ``answer`` for ``key`` for ``ttl`` seconds; False when it was not stored."""
        value = _encode(
            "http_answer",
            {
                "status": answer.status,
                "headers": dict(answer.headers),
                "etag": answer.etag,
                "last_modified": answer.last_modified,
                "stored_at": answer.stored_at,
                **_body_fields(answer.body),
            },
        )
        if not self._fits("answer", value):
            return False
        name = self._key("answer", key.name)
        px = _milliseconds(ttl)
        try:
            return bool(self._call("storing an answer", lambda r: r.set(name, value, px=px)))
        except _Unavailable:
            return False

    # -- rate limits ---------------------------------------------------------------------
    def _rate_key(self, host: str, scope: Optional[str]) -> str:
        _check_scope(None, None, scope)
        return self._key("rate", _hash("host", host.lower()), scope or "anon")

    def get_rate_limit(self, host: str, scope: Optional[str] = None) -> Optional[RateLimitState]:
        """The farm's last known quota of upstream ``host`` for ``scope``, or None."""
        name = self._rate_key(host, scope)
        try:
            raw = self._call("reading a rate limit", lambda r: r.get(name))
        except _Unavailable:
            return None
        return self._read("reading a rate limit", "rate_limit", raw, _rate_from)

    def put_rate_limit(self, host: str, scope: Optional[str], state: RateLimitState) -> bool:
        """Share a quota state; a later window or fewer requests left already stored wins.

        Kept until a minute after the reset. Returns True when this state was stored.
        """
        name = self._rate_key(host, scope)
        value = _encode(
            "rate_limit",
            {
                "remaining": state.remaining,
                "reset_at": state.reset_at,
                "limit": state.limit,
                "updated_at": state.updated_at,
            },
        )
        ttl = min(max(state.reset_at - self.clock() + 60.0, 1.0), 24 * 3600.0)
        args: list[Union[bytes, str, int]] = [
            value,
            repr(float(state.reset_at)),
            str(state.remaining),
            _milliseconds(ttl),
        ]
        try:
            stored = self._call("storing a rate limit", lambda r: r.eval(_PUT_RATE, 1, name, *args))
        except _Unavailable:
            return False
        return bool(stored == 1)

    def blocked_until(self, host: str, scope: Optional[str] = None) -> Optional[float]:
        """The reset time when the farm spent ``host``'s quota for ``scope``, else None."""
        state = self.get_rate_limit(host, scope)
        if state is not None and state.exhausted(self.clock()):
            return state.reset_at
        return None

    # -- overlay documents ---------------------------------------------------------------
    def get_overlay(self, url: str) -> Optional[SharedDocument]:
        """The overlay document fetched from ``url`` by some host, or None."""
        name = self._key("overlay", _hash("url", url))
        try:
            raw = self._call("reading an overlay", lambda r: r.get(name))
        except _Unavailable:
            return None
        return self._read(
            "reading an overlay",
            "overlay",
            raw,
            lambda d: SharedDocument(_body(d), _number(d, "stored_at")),
        )

    def put_overlay(self, url: str, document: SharedDocument, *, ttl: float) -> bool:
        """Share the overlay document of ``url`` for ``ttl`` seconds."""
        value = _encode("overlay", {"stored_at": document.stored_at, **_body_fields(document.body)})
        if not self._fits("overlay", value):
            return False
        name = self._key("overlay", _hash("url", url))
        px = _milliseconds(ttl)
        try:
            return bool(self._call("storing an overlay", lambda r: r.set(name, value, px=px)))
        except _Unavailable:
            return False

    # -- single flight -------------------------------------------------------------------
    def lease(self, key: AnswerKey, ttl_ms: int) -> Optional[Lease]:
        """Try to become the one host that asks upstream for ``key``, for ``ttl_ms`` at most.

        None when another host holds the lease or the cache is unavailable; either way call
        :meth:`wait_for_answer`, which returns None at once when the cache is unavailable.
        """
        if ttl_ms <= 0:
            raise ValueError("ttl_ms must be positive")
        token = secrets.token_hex(16)
        name = self._key("lease", key.name)
        try:
            got = self._call("taking a lease", lambda r: r.set(name, token, nx=True, px=ttl_ms))
        except _Unavailable:
            return None
        return Lease(key, token, ttl_ms) if got else None

    def release(self, lease: Lease) -> bool:
        """Give a lease back; True only when it was still ours (not expired and taken over)."""
        name = self._key("lease", lease.key.name)
        try:
            deleted = self._call(
                "releasing a lease", lambda r: r.eval(_RELEASE, 1, name, lease.token)
            )
        except _Unavailable:
            return False
        return bool(deleted == 1)

    def wait_for_answer(
        self, key: AnswerKey, newer_than: float, timeout: float, *, poll: float = 0.01
    ) -> Optional[CachedAnswer]:
        """Wait up to ``timeout`` seconds for an answer to ``key`` stored after ``newer_than``.

        Returns early with None when no host holds the lease any more and no such answer came
        (the holder failed, or its lease expired), or when the cache is unavailable: then the
        caller asks upstream itself. ``newer_than`` is the time the caller's need began, so a
        forced check accepts an answer another host obtained after the force began.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        answer_name = self._key("answer", key.name)
        lease_name = self._key("lease", key.name)
        delay = poll

        def look(r: redis.Redis) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            pipe.get(answer_name)
            pipe.exists(lease_name)
            return pipe.execute()

        while True:
            try:
                raw, held = self._call("waiting for an answer", look)
            except _Unavailable:
                return None
            answer = self._read("waiting for an answer", "http_answer", raw, _answer_from)
            if answer is not None and answer.stored_at > newer_than:
                return answer
            if not held:
                # the holder may have stored and released between the two reads: look once more
                answer = self.get_answer(key)
                return answer if answer is not None and answer.stored_at > newer_than else None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(delay, left))
            delay = min(delay * 1.5, 0.1)

    def single_flight(
        self,
        key: AnswerKey,
        fetch: Callable[[], Optional[CachedAnswer]],
        *,
        newer_than: float,
        lease_ms: int = 10_000,
        wait: float = 10.0,
    ) -> Optional[CachedAnswer]:
        """An answer stored after ``newer_than``, fetched by exactly one host of the farm.

        A fresh enough shared answer is returned as it is; otherwise the host that gets the
        lease calls ``fetch`` (its upstream request) and shares the answer, and the others wait
        up to ``wait`` seconds for it. When the holder fails, its lease runs out or the cache is
        unavailable, the caller calls ``fetch`` itself. ``fetch`` may return None (nothing to
        share) or raise; its exceptions reach the caller and the lease is given back.
        """
        shared = self.get_answer(key)
        if shared is not None and shared.stored_at > newer_than:
            return shared
        lease = self.lease(key, lease_ms)
        if lease is None:
            shared = self.wait_for_answer(key, newer_than, wait)
            if shared is not None:
                return shared
            answer = fetch()
        else:
            try:
                shared = self.get_answer(key)  # stored between our first look and the lease
                if shared is not None and shared.stored_at > newer_than:
                    return shared
                answer = fetch()
                if answer is not None:
                    self.put_answer(key, answer)
            finally:
                self.release(lease)
            return answer
        if answer is not None:
            self.put_answer(key, answer)
        return answer


def _milliseconds(seconds: float) -> int:
    return max(1, int(seconds * 1000))


__all__ = [
    "AnswerKey",
    "CachedAnswer",
    "Lease",
    "RateLimitState",
    "SharedCache",
    "SharedCacheSettings",
    "SharedDocument",
    "credential_scope",
    "parse_shared_cache",
]
