"""The one HTTP client every network check uses.

It sends through a :class:`~softwareupdate_core.http.transport.Transport` (urllib3 pools kept
alive by default, or a host's ``requests.Session``), puts a wall-clock deadline on every
request, follows redirects (credentials stay below their base URL), sends conditional
requests with stored ETag/Last-Modified validators and reuses the stored answer on ``304``,
limits requests in flight per host, makes identical requests of one round only once, refuses
to send into an exhausted rate limit, and maps every failure to an exception of the
:class:`~softwareupdate_core.exceptions.SoftwareUpdateError` family.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional

import attrs

from .._version import __version__
from ..exceptions import ApiCheckError, CheckError
from .answers import add_validators, api_message, not_modified, to_store
from .conditional import MemoryValidatorStore, StoredAnswer, ValidatorStore
from .farm import Farm, check_farm_limit, send_via_farm, share_rate_limit
from .ratelimit import RateLimit, looks_rate_limited, rate_limit_error
from .records import Pending, RequestKey, RequestStats
from .redirects import MAX_REDIRECTS, credential_fingerprint, credential_secrets, transfer
from .response import HttpResponse, host_of, safe_url
from .transport import Transport, Urllib3Transport

if TYPE_CHECKING:
    from ..store.shared_cache import SharedCache, SharedCacheSettings

log = logging.getLogger(__name__)

USER_AGENT = f"softwareupdate-core/{__version__}"


def _default_transport(client: HttpClient) -> Transport:
    """urllib3 pools sized for the per-host limit (urllib3 is imported on the first request)."""
    return Urllib3Transport(pool_size=max(client.per_host_limit, 10))


@attrs.define
class HttpClient:
    """Shared HTTP client of one Manager; thread-safe."""

    timeout: tuple[float, float] = (5.0, 20.0)
    per_host_limit: int = 8
    #: Sends one request (no redirects) within a deadline; urllib3 pools unless given.
    transport: Transport = attrs.field(
        default=attrs.Factory(_default_transport, takes_self=True), repr=False
    )
    validators: ValidatorStore = attrs.field(factory=MemoryValidatorStore, repr=False)
    user_agent: str = USER_AGENT
    clock: Callable[[], float] = time.time
    stats: RequestStats = attrs.field(factory=RequestStats)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)
    _semaphores: dict[str, threading.BoundedSemaphore] = attrs.field(factory=dict, repr=False)
    #: Exhausted rate limits by (host, credential fingerprint): limits are per token.
    _exhausted: dict[tuple[str, str], RateLimit] = attrs.field(factory=dict, repr=False)
    _round_depth: int = attrs.field(default=0, repr=False)
    _round: dict[RequestKey, Pending] = attrs.field(factory=dict, repr=False)
    #: The farm's shared cache (``shared_cache`` setting); None keeps everything local.
    shared_settings: Optional[SharedCacheSettings] = attrs.field(default=None, repr=False)
    #: Seconds an answer another host fetched counts as fresh (the host's ``cache_ttl``).
    shared_fresh_for: float = 0.0
    _shared: Optional[SharedCache] = attrs.field(default=None, repr=False)
    _shared_failed: bool = attrs.field(default=False, repr=False)
    #: While a forced round runs: when it began (answers stored later count), else None.
    _forced_since: Optional[float] = attrs.field(default=None, repr=False)
    _forced_depth: int = attrs.field(default=0, repr=False)

    def close(self) -> None:
        """Close the transport's kept-alive connections and stop its deadline watchdog."""
        self.transport.close()
        with self._lock:
            shared, self._shared = self._shared, None
        if shared is not None:
            shared.close()

    @property
    def shared_cache(self) -> Optional[SharedCache]:
        """The farm's shared cache, built (and ``redis`` imported) on first use; None when unset."""
        if self.shared_settings is None or self._shared_failed:
            return None
        with self._lock:
            if self._shared is None and not self._shared_failed:
                from ..exceptions import ConfigurationInvalid
                from ..store.shared_cache import SharedCache

                try:
                    self._shared = SharedCache(self.shared_settings, clock=self.clock)
                except ConfigurationInvalid as exc:
                    self._shared_failed = True
                    log.warning("shared cache not used: %s", exc)
            return self._shared

    @property
    def forced_since(self) -> Optional[float]:
        """While a forced round runs, when it began (answers stored later count); else None."""
        with self._lock:
            return self._forced_since

    def count(self, stat: str) -> None:
        """Add one to the :class:`RequestStats` counter named ``stat`` (thread-safe)."""
        with self._lock:
            setattr(self.stats, stat, getattr(self.stats, stat) + 1)

    def note_graphql(self, requests: int, cost: int, points: Any = None) -> None:
        """Count batched GraphQL requests and their points (``points.remaining`` if known)."""
        with self._lock:
            self.stats.graphql_requests += requests
            self.stats.graphql_points += cost
            remaining = getattr(points, "remaining", None)
            if isinstance(remaining, int):
                self.stats.graphql_remaining = remaining

    @contextlib.contextmanager
    def forced(self, since: float) -> Iterator[None]:
        """Within this block answers are fresh only when stored after ``since`` (a forced check).

        Another host's answer obtained after the force began still counts, so hosts forcing
        together make one request per URL.
        """
        with self._lock:
            self._forced_depth += 1
            if self._forced_since is None or since < self._forced_since:
                self._forced_since = since
        try:
            yield
        finally:
            with self._lock:
                self._forced_depth -= 1
                if self._forced_depth == 0:
                    self._forced_since = None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- rounds -------------------------------------------------------------------------
    @contextlib.contextmanager
    def round(self) -> Iterator[None]:
        """Within this block identical GET/HEAD requests are sent once and their answer shared."""
        with self._lock:
            self._round_depth += 1
            first = self._round_depth == 1
            shared = self._shared
        if first and shared is not None:
            shared.begin_round()  # a fault warns once per round; Redis is tried again now
        try:
            yield
        finally:
            with self._lock:
                self._round_depth -= 1
                if self._round_depth == 0:
                    self._round.clear()

    # -- requests -----------------------------------------------------------------------
    def get(
        self,
        url: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        conditional: bool = True,
        auth: Optional[tuple[str, str]] = None,
        credentials_base: Optional[str] = None,
    ) -> HttpResponse:
        """GET ``url``; with ``conditional`` reuse a stored answer when the server says 304."""
        return self.request(
            "GET",
            url,
            headers=headers,
            conditional=conditional,
            auth=auth,
            credentials_base=credentials_base,
        )

    def post_json(
        self, url: str, payload: Mapping[str, Any], headers: Mapping[str, str]
    ) -> tuple[int, Any]:
        """POST ``payload`` as JSON; the status and the decoded answer (None when not JSON).

        Every status comes back (the caller reads API errors from the answer); a rate-limited
        answer or a network failure raises as for any request.
        """
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        sent = {**dict(headers), "Content-Type": "application/json"}
        response = self.request(
            "POST", url, headers=sent, body=body, ok_statuses=tuple(range(300, 600))
        )
        try:
            data = json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        return response.status, data

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        conditional: bool = False,
        auth: Optional[tuple[str, str]] = None,
        ok_statuses: tuple[int, ...] = (),
        credentials_base: Optional[str] = None,
        body: Optional[bytes] = None,
    ) -> HttpResponse:
        """Send one request and return its answer, or raise NetworkError/ApiCheckError/….

        ``body`` is sent as the request body (e.g. a POST's JSON); such requests are never
        deduplicated or shared.

        ``ok_statuses`` lists non-2xx statuses the caller handles itself (e.g. 404).
        Redirects are followed; ``Authorization``/``PRIVATE-TOKEN`` headers and ``auth`` go
        along only to URLs below ``credentials_base`` (e.g. a check's API base URL), or
        without one to the request's own origin.
        """
        method = method.upper()
        if not url.lower().startswith(("http://", "https://")):
            raise CheckError(f"not an http(s) URL: {safe_url(url)!r}")
        merged = {"User-Agent": self.user_agent, **dict(headers or {})}
        auth_tag = "" if auth is None else f"{auth[0]}:{hash(auth[1])}"
        key = RequestKey(method, url, (*tuple(sorted(merged.items())), ("auth", auth_tag)))
        pending, owner = self._claim(key, body)
        if not owner:
            pending.done.wait()
            with self._lock:
                self.stats.deduplicated += 1
            if pending.error is not None:
                raise pending.error
            assert pending.response is not None
            return pending.response
        try:
            response = self._send(
                method, url, merged, conditional, auth, ok_statuses, credentials_base, body
            )
        except BaseException as exc:
            pending.error = exc
            raise
        else:
            pending.response = response
            return response
        finally:
            pending.done.set()

    def _claim(self, key: RequestKey, body: Optional[bytes] = None) -> tuple[Pending, bool]:
        with self._lock:
            if self._round_depth and key.method in ("GET", "HEAD") and body is None:
                existing = self._round.get(key)
                if existing is not None:
                    return existing, False
                pending = Pending()
                self._round[key] = pending
                return pending, True
        return Pending(), True

    def _semaphore(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            sem = self._semaphores.get(host)
            if sem is None:
                sem = self._semaphores[host] = threading.BoundedSemaphore(self.per_host_limit)
            return sem

    def _check_not_exhausted(self, bucket: tuple[str, str]) -> None:
        host = bucket[0]
        with self._lock:
            limit = self._exhausted.get(bucket)
            if limit is None:
                return
            if limit.reset is not None and limit.reset <= self.clock():
                del self._exhausted[bucket]
                return
            self.stats.refused_rate_limited += 1
        raise rate_limit_error(host, limit, status=None, api_message="", sent=False)

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        conditional: bool,
        auth: Optional[tuple[str, str]],
        ok_statuses: tuple[int, ...],
        credentials_base: Optional[str] = None,
        body: Optional[bytes] = None,
    ) -> HttpResponse:
        host = host_of(url)
        secrets = credential_secrets(headers, auth)
        bucket = (host, credential_fingerprint(headers, auth))
        self._check_not_exhausted(bucket)
        upstream = functools.partial(
            self._upstream, method, url, headers, conditional, auth, ok_statuses,
            credentials_base, bucket, body=body,
        )  # fmt: skip
        shared = self.shared_cache
        if shared is None:
            return upstream(None, None)
        return send_via_farm(self, shared, secrets, url, method, conditional, body, upstream)

    def _upstream(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        conditional: bool,
        auth: Optional[tuple[str, str]],
        ok_statuses: tuple[int, ...],
        credentials_base: Optional[str],
        bucket: tuple[str, str],
        farm: Optional[Farm],
        fallback: Optional[StoredAnswer],
        *,
        body: Optional[bytes] = None,
    ) -> HttpResponse:
        """Send the request upstream (conditionally with stored validators) and read it."""
        host = bucket[0]
        if farm is not None:
            check_farm_limit(self, farm, host)
        headers = dict(headers)
        stored = self.validators.get_answer(url) if conditional else None
        if stored is None and conditional:
            stored = fallback
        add_validators(headers, stored)
        with self._semaphore(host):
            self.count("sent")
            status, resp_headers, answer_body = transfer(
                self.transport, self.timeout, method, url, headers, auth, credentials_base, body
            )
        body = answer_body
        now = self.clock()
        rate = RateLimit.from_headers(resp_headers, now)
        if farm is not None:
            share_rate_limit(farm, host, rate, now)

        if status == 304 and stored is not None:
            with self._lock:
                self.stats.not_modified += 1
            return not_modified(url, stored, resp_headers, rate)

        if status in (403, 429) and looks_rate_limited(status, rate, body):
            self._remember_exhausted(bucket, rate)
            raise rate_limit_error(host, rate, status=status, api_message=api_message(body))
        if 200 <= status < 300 and rate.exhausted:
            # the answer is good, but the next request to this host would be refused
            self._remember_exhausted(bucket, rate)
        if not (200 <= status < 300) and status not in ok_statuses:
            message = api_message(body)
            raise ApiCheckError(
                f"{safe_url(url)} answered HTTP {status}" + (f": {message}" if message else ""),
                status=status,
                api_message=message,
            )
        if conditional and 200 <= status < 300:
            kept = to_store(url, status, resp_headers, body, now)
            if kept is not None:
                self.validators.put_answer(kept)
        return HttpResponse(url, status, resp_headers, body, False, rate)

    def _remember_exhausted(self, bucket: tuple[str, str], rate: RateLimit) -> None:
        reset = rate.reset if rate.reset is not None else self.clock() + 60.0
        with self._lock:
            self._exhausted[bucket] = attrs.evolve(rate, reset=reset)


def client_from(kwargs: Mapping[str, Any]) -> HttpClient:
    """The ``http`` keyword a check received, or a fresh client for direct callers."""
    client = kwargs.get("http")
    if isinstance(client, HttpClient):
        return client
    return HttpClient()


__all__ = [
    "MAX_REDIRECTS",
    "USER_AGENT",
    "HttpClient",
    "RequestKey",
    "RequestStats",
    "client_from",
]
