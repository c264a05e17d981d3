"""The Redis connection under the farm's shared cache: timeouts, faults, quiet spells.

Split from :mod:`softwareupdate_core.store.shared_cache` (whose :class:`SharedCache` builds on
:class:`RedisConnection`). Every call has a connect and read timeout and no retries; a fault
is logged once a round and makes the cache quiet for ``retry_after`` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

import attrs

from ..exceptions import ConfigurationInvalid
from ..redact import redact_known
from .shared_settings import SETTING, SharedCacheSettings
from .shared_values import _decode, _Garbage

if TYPE_CHECKING:  # the redis package is optional: imported when a cache is first used
    import redis

# the shared cache's messages keep the logger name they always had
log = logging.getLogger("softwareupdate_core.store.shared_cache")

#: Seconds the cache stays quiet after a fault before it connects again.
DEFAULT_RETRY_AFTER = 2.0
#: Largest value written (bytes of encoded JSON); a larger answer stays local.
MAX_VALUE_BYTES = 1024 * 1024

T = TypeVar("T")


class _Unavailable(Exception):
    """Redis did not answer (or is resting after a fault): the call returns nothing."""


@attrs.define(repr=False)
class RedisConnection:
    """The settings, connection and fault handling of a :class:`SharedCache`; thread-safe."""

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
