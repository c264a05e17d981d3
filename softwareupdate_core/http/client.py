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
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Optional
from urllib.parse import urljoin, urlsplit

import attrs

from .._version import __version__
from ..exceptions import ApiCheckError, CheckError, NetworkError
from .conditional import MemoryValidatorStore, StoredAnswer, ValidatorStore
from .ratelimit import RateLimit, looks_rate_limited, rate_limit_error
from .response import Headers, HttpResponse, host_of, safe_url
from .transport import MAX_BODY, RawAnswer, Transport, Urllib3Transport, basic_auth
from .watchdog import DeadlineExceeded

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

    def close(self) -> None:
        """Close the transport's kept-alive connections and stop its deadline watchdog."""
        self.transport.close()

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
    ) -> HttpResponse:
        """Send one request and return its answer, or raise NetworkError/ApiCheckError/….

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
        pending, owner = self._claim(key)
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
                method, url, merged, conditional, auth, ok_statuses, credentials_base
            )
        except BaseException as exc:
            pending.error = exc
            raise
        else:
            pending.response = response
            return response
        finally:
            pending.done.set()

    def _claim(self, key: RequestKey) -> tuple[_Pending, bool]:
        with self._lock:
            if self._round_depth and key.method in ("GET", "HEAD"):
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
    ) -> HttpResponse:
        host = host_of(url)
        bucket = (host, _credential_fingerprint(headers, auth))
        self._check_not_exhausted(bucket)
        stored = self.validators.get_answer(url) if conditional else None
        if stored is not None:
            if stored.etag:
                headers["If-None-Match"] = stored.etag
            if stored.last_modified:
                headers["If-Modified-Since"] = stored.last_modified
        with self._semaphore(host):
            status, resp_headers, body = self._transfer(
                method, url, headers, auth, credentials_base
            )
        now = self.clock()
        rate = RateLimit.from_headers(resp_headers, now)

        if status == 304 and stored is not None:
            with self._lock:
                self.stats.not_modified += 1
            merged_headers = Headers(stored.headers).updated(resp_headers)
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
            answer = self._follow(method, url, headers, auth, deadline, credentials_base)
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
    ) -> RawAnswer:
        """Send ``url`` and follow its redirects; credentials stay within their base."""
        base = credentials_base or host_of(url)
        for _ in range(MAX_REDIRECTS + 1):
            sent = headers
            if auth is not None:
                sent = {**headers, "Authorization": basic_auth(*auth)}
            answer = self.transport.send(
                method, url, sent, timeout=self.timeout, deadline=deadline, max_body=MAX_BODY
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
                method = "GET"
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


def _credential_fingerprint(headers: Mapping[str, str], auth: Optional[tuple[str, str]]) -> str:
    """A digest of the credentials a request carries ("" for none); rate limits are per token."""
    secret = [v for k, v in headers.items() if k.lower() in ("authorization", "private-token")]
    if auth is not None:
        secret.extend(auth)
    if not secret:
        return ""
    return hashlib.sha256("\0".join(secret).encode("utf-8", "replace")).hexdigest()[:16]


_KEPT_HEADERS = frozenset({"content-type", "link", "etag", "last-modified"})


def client_from(kwargs: Mapping[str, Any]) -> HttpClient:
    """The ``http`` keyword a check received, or a fresh client for direct callers."""
    client = kwargs.get("http")
    if isinstance(client, HttpClient):
        return client
    return HttpClient()
