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

import secrets
import time
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import attrs

from .shared_redis import RedisConnection, _Unavailable
from .shared_settings import (
    AnswerKey,
    SharedCacheSettings,
    _check_scope,
    _hash,
    credential_scope,
    parse_shared_cache,
)
from .shared_values import (
    CachedAnswer,
    Lease,
    RateLimitState,
    SharedDocument,
    _answer_from,
    _body,
    _body_fields,
    _encode,
    _number,
    _rate_from,
)

if TYPE_CHECKING:  # the redis package is optional: imported when a cache is first used
    import redis

#: Seconds an HTTP answer is kept: its validators stay useful long after it is stale.
DEFAULT_ANSWER_TTL = 7 * 24 * 3600.0

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


# -- the cache -----------------------------------------------------------------------------


@attrs.define(repr=False)
class SharedCache(RedisConnection):
    """The farm's shared cache on Redis; every method returns nothing rather than raise.

    Thread-safe. Create one per process with :meth:`from_settings`; call :meth:`begin_round`
    at the start of each check round and :meth:`close` when done.
    """

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
