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
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import urljoin, urlsplit

import attrs

from .._version import __version__
from ..exceptions import ApiCheckError, CheckError, NetworkError
from .conditional import MemoryValidatorStore, StoredAnswer, ValidatorStore
from .ratelimit import RateLimit, looks_rate_limited, rate_limit_error
from .response import Headers, HttpResponse, host_of, safe_url
from .transport import MAX_BODY, RawAnswer, Transport, Urllib3Transport, basic_auth
from .watchdog import DeadlineExceeded

if TYPE_CHECKING:
    from ..store.shared_cache import CachedAnswer, SharedCache, SharedCacheSettings

log = logging.getLogger(__name__)

USER_AGENT = f"softwareupdate-core/{__version__}"
#: Most redirects followed for one request.
MAX_REDIRECTS = 10
#: Headers that carry credentials: dropped on a redirect that leaves their scope.
_CREDENTIAL_HEADERS = frozenset({"authorization", "private-token"})


def _api_message(body: bytes) -> str:
    """The error message an API put in its body: JSON ``message``/``error``, else a snippet."""
    text = body[:2000].decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # includes ints too long to convert
        data = None
    if isinstance(data, dict):
        for key in ("message", "error_description", "error"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value:
                return value[:300]
    if "<html" in text.lower():
        return "an HTML page instead of an API answer"
    return " ".join(text.split())[:200]


@attrs.frozen
class RequestKey:
    """Identifies identical requests within one round."""

    method: str
    url: str
    #: Not in the repr: header values may carry tokens.
    headers: tuple[tuple[str, str], ...] = attrs.field(repr=False)


@attrs.define
class _Pending:
    done: threading.Event = attrs.field(factory=threading.Event)
    response: Optional[HttpResponse] = None
    error: Optional[BaseException] = None


@attrs.define
class RequestStats:
    """Counts of what the client did, for reports and benchmarks."""

    sent: int = 0
    not_modified: int = 0
    deduplicated: int = 0
    refused_rate_limited: int = 0
    #: Answers another host of the farm fetched, read from the shared cache (no request sent).
    shared_answers: int = 0
    #: Batched GraphQL requests, the points they cost, and the points left after the last
    #: (GitHub's GraphQL budget is apart from the REST quota).
    graphql_requests: int = 0
    graphql_points: int = 0
    graphql_remaining: Optional[int] = None


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
    _round: dict[RequestKey, _Pending] = attrs.field(factory=dict, repr=False)
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

    def _claim(self, key: RequestKey, body: Optional[bytes] = None) -> tuple[_Pending, bool]:
        with self._lock:
            if self._round_depth and key.method in ("GET", "HEAD") and body is None:
                existing = self._round.get(key)
                if existing is not None:
                    return existing, False
                pending = _Pending()
                self._round[key] = pending
                return pending, True
        return _Pending(), True

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
        secrets = _credential_secrets(headers, auth)
        bucket = (host, _credential_fingerprint(headers, auth))
        self._check_not_exhausted(bucket)
        upstream = functools.partial(
            self._upstream, method, url, headers, conditional, auth, ok_statuses,
            credentials_base, bucket, body=body,
        )  # fmt: skip
        shared = self.shared_cache
        if shared is None:
            return upstream(None, None)
        from ..store.shared_cache import AnswerKey, credential_scope

        farm = _Farm(shared, credential_scope(*secrets))
        if not (conditional and method == "GET" and body is None):
            return upstream(farm, None)
        return self._send_shared(farm, AnswerKey.for_url(url, farm.scope), url, upstream)

    def _send_shared(
        self,
        farm: _Farm,
        key: Any,
        url: str,
        upstream: Callable[[Optional[_Farm], Optional[StoredAnswer]], HttpResponse],
    ) -> HttpResponse:
        """One host of the farm asks upstream for ``url``; the others read its shared answer."""
        from ..store.shared_cache import CachedAnswer

        with self._lock:
            since = self._forced_since
        newer_than = since if since is not None else self.clock() - self.shared_fresh_for
        fetched: list[HttpResponse] = []

        def fetch() -> Optional[CachedAnswer]:
            fallback = None
            if self.validators.get_answer(url) is None:
                seen = farm.cache.get_answer(key)  # another host's validators
                fallback = None if seen is None else _stored_from(url, seen)
            response = upstream(farm, fallback)
            fetched.append(response)
            if not 200 <= response.status < 300:
                return None  # an error answer is not shared
            return CachedAnswer(
                response.status,
                response.body,
                dict(response.headers),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                stored_at=self.clock(),
            )

        bound = self.timeout[0] + self.timeout[1] + 1.0  # a holder's request ends by then
        answer = farm.cache.single_flight(
            key, fetch, newer_than=newer_than, lease_ms=int(bound * 1000), wait=bound
        )
        if fetched:
            return fetched[-1]
        if answer is None:  # not reached: single_flight fetched or found an answer
            return upstream(farm, None)
        with self._lock:
            self.stats.shared_answers += 1
        if answer.etag or answer.last_modified:
            # kept locally too: with Redis gone, this host still asks conditionally
            self.validators.put_answer(_stored_from(url, answer))
        return HttpResponse(url, answer.status, Headers(answer.headers), answer.body, True)

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
        farm: Optional[_Farm],
        fallback: Optional[StoredAnswer],
        *,
        body: Optional[bytes] = None,
    ) -> HttpResponse:
        """Send the request upstream (conditionally with stored validators) and read it."""
        host = bucket[0]
        if farm is not None:
            self._check_farm_limit(farm, host)
        headers = dict(headers)
        stored = self.validators.get_answer(url) if conditional else None
        if stored is None and conditional:
            stored = fallback
        if stored is not None:
            if stored.etag:
                headers["If-None-Match"] = stored.etag
            if stored.last_modified:
                headers["If-Modified-Since"] = stored.last_modified
        with self._semaphore(host):
            status, resp_headers, answer_body = self._transfer(
                method, url, headers, auth, credentials_base, body
            )
        body = answer_body
        now = self.clock()
        rate = RateLimit.from_headers(resp_headers, now)
        if farm is not None and rate.remaining is not None and rate.reset is not None:
            from ..store.shared_cache import RateLimitState

            farm.cache.put_rate_limit(
                host, farm.scope, RateLimitState(rate.remaining, rate.reset, rate.limit, now)
            )

        if status == 304 and stored is not None:
            with self._lock:
                self.stats.not_modified += 1
            validators = {"ETag": stored.etag, "Last-Modified": stored.last_modified}
            merged_headers = (
                Headers(stored.headers)
                .updated({k: v for k, v in validators.items() if v})
                .updated(resp_headers)
            )
            return HttpResponse(url, stored.status, merged_headers, stored.body, True, rate)

        if status in (403, 429) and looks_rate_limited(status, rate, body):
            self._remember_exhausted(bucket, rate)
            raise rate_limit_error(host, rate, status=status, api_message=_api_message(body))
        if 200 <= status < 300 and rate.exhausted:
            # the answer is good, but the next request to this host would be refused
            self._remember_exhausted(bucket, rate)
        if not (200 <= status < 300) and status not in ok_statuses:
            message = _api_message(body)
            raise ApiCheckError(
                f"{safe_url(url)} answered HTTP {status}" + (f": {message}" if message else ""),
                status=status,
                api_message=message,
            )
        if conditional and 200 <= status < 300:
            etag = resp_headers.get("ETag")
            last_modified = resp_headers.get("Last-Modified")
            if etag or last_modified:
                self.validators.put_answer(
                    StoredAnswer(
                        url=url,
                        status=status,
                        body=body,
                        headers=resp_headers.subset(_KEPT_HEADERS),
                        etag=etag,
                        last_modified=last_modified,
                        stored_at=now,
                    )
                )
        return HttpResponse(url, status, resp_headers, body, False, rate)

    def _check_farm_limit(self, farm: _Farm, host: str) -> None:
        """Refuse to send when another host of the farm saw this quota spent."""
        until = farm.cache.blocked_until(host, farm.scope)
        if until is None:
            return
        with self._lock:
            self.stats.refused_rate_limited += 1
        rate = RateLimit(remaining=0, reset=until)
        raise rate_limit_error(host, rate, status=None, api_message="", sent=False)

    def _remember_exhausted(self, bucket: tuple[str, str], rate: RateLimit) -> None:
        reset = rate.reset if rate.reset is not None else self.clock() + 60.0
        with self._lock:
            self._exhausted[bucket] = attrs.evolve(rate, reset=reset)

    def _transfer(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        auth: Optional[tuple[str, str]],
        credentials_base: Optional[str] = None,
        body: Optional[bytes] = None,
    ) -> tuple[int, Headers, bytes]:
        """Send, follow redirects and read the whole body within one deadline.

        The deadline is wall-clock time for connecting, redirects, headers and body together
        (``connect`` + ``read`` seconds), so a server sending a byte a second cannot hold a
        request longer than a silent one. The transport enforces it.
        """
        connect, read = self.timeout
        with self._lock:
            self.stats.sent += 1
        deadline = time.monotonic() + connect + read
        try:
            answer = self._follow(method, url, headers, auth, deadline, credentials_base, body)
        except DeadlineExceeded as exc:
            raise NetworkError(
                f"{safe_url(url)}: no complete answer within {connect + read:g} seconds "
                f"(the connect + read timeout)",
                cause=exc,
            ) from None
        return answer.status, Headers(answer.headers), answer.body

    def _follow(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        auth: Optional[tuple[str, str]],
        deadline: float,
        credentials_base: Optional[str],
        body: Optional[bytes] = None,
    ) -> RawAnswer:
        """Send ``url`` and follow its redirects; credentials stay within their base."""
        base = credentials_base or host_of(url)
        for _ in range(MAX_REDIRECTS + 1):
            sent = headers
            if auth is not None:
                sent = {**headers, "Authorization": basic_auth(*auth)}
            extra = {} if body is None else {"body": body}  # a transport may predate bodies
            answer = self.transport.send(
                method,
                url,
                sent,
                timeout=self.timeout,
                deadline=deadline,
                max_body=MAX_BODY,
                **extra,
            )
            location = answer.headers.get("Location") if answer.status in _REDIRECTS else None
            if not location:
                return answer
            following = urljoin(url, location)
            if not following.lower().startswith(("http://", "https://")):
                raise NetworkError(f"{safe_url(url)}: redirected to a URL that is not http(s)")
            if not _below(following, base):
                headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
                auth = None
            if answer.status == 303 and method != "HEAD":
                method, body = "GET", None
            url = following
        raise NetworkError(f"{safe_url(url)}: more than {MAX_REDIRECTS} redirects")


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _below(url: str, base: str) -> bool:
    """Whether ``url`` has the scheme, host and port of ``base`` and lies under its path."""
    try:
        a, b = urlsplit(url), urlsplit(base)
        ports = {"http": 80, "https": 443}
        same = (a.scheme.lower(), a.hostname, a.port or ports.get(a.scheme.lower())) == (
            b.scheme.lower(),
            b.hostname,
            b.port or ports.get(b.scheme.lower()),
        )
    except ValueError:
        return False
    prefix = b.path.rstrip("/")
    return same and (a.path == prefix or a.path.startswith(prefix + "/"))


def _credential_secrets(headers: Mapping[str, str], auth: Optional[tuple[str, str]]) -> list[str]:
    """The credentials a request carries: credential header values and basic-auth parts."""
    secret = [v for k, v in headers.items() if k.lower() in ("authorization", "private-token")]
    if auth is not None:
        secret.extend(auth)
    return secret


def _credential_fingerprint(headers: Mapping[str, str], auth: Optional[tuple[str, str]]) -> str:
    """A digest of the credentials a request carries ("" for none); rate limits are per token."""
    secret = _credential_secrets(headers, auth)
    if not secret:
        return ""
    return hashlib.sha256("\0".join(secret).encode("utf-8", "replace")).hexdigest()[:16]


_KEPT_HEADERS = frozenset({"content-type", "link", "etag", "last-modified"})


@attrs.frozen
class _Farm:
    """The shared cache and the credential scope (a hash, never the token) of one request."""

    cache: SharedCache
    scope: Optional[str]


def _stored_from(url: str, answer: CachedAnswer) -> StoredAnswer:
    """A farm answer as this host's validator store keeps it."""
    return StoredAnswer(
        url=url,
        status=answer.status,
        body=answer.body,
        headers=dict(answer.headers),
        etag=answer.etag,
        last_modified=answer.last_modified,
        stored_at=answer.stored_at,
    )


def client_from(kwargs: Mapping[str, Any]) -> HttpClient:
    """The ``http`` keyword a check received, or a fresh client for direct callers."""
    client = kwargs.get("http")
    if isinstance(client, HttpClient):
        return client
    return HttpClient()
