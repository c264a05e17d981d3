"""The one HTTP client every network check uses.

It owns the ``requests.Session`` (kept-alive connections), puts an explicit timeout on every
request, sends conditional requests with stored ETag/Last-Modified validators and reuses the
stored answer on ``304``, limits requests in flight per host, makes identical requests of one
round only once, refuses to send into an exhausted rate limit, and maps every failure to an
exception of the :class:`~softwareupdate_core.exceptions.SoftwareUpdateError` family.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional, Protocol
from urllib.parse import urljoin, urlsplit

import attrs

from .._version import __version__

if TYPE_CHECKING:  # requests is imported on the first request: a warm round never needs it
    import requests
    from requests.structures import CaseInsensitiveDict
from ..exceptions import ApiCheckError, CheckError, NetworkError, RateLimitCheckError

log = logging.getLogger(__name__)

USER_AGENT = f"softwareupdate-core/{__version__}"
#: Largest response body read, in bytes; larger answers are an error, not a memory spike.
MAX_BODY = 16 * 1024 * 1024
#: Longest wait a rate-limit header may impose, in seconds; later resets count as this.
MAX_RATE_LIMIT_WAIT = 24 * 60 * 60.0
#: Most redirects followed for one request.
MAX_REDIRECTS = 10
#: Headers that carry credentials: dropped on a redirect that leaves their scope.
_CREDENTIAL_HEADERS = frozenset({"authorization", "private-token"})


@attrs.frozen
class StoredAnswer:
    """A response body kept with its validators, to be reused when the server says 304."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    stored_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "body": self.body.decode("utf-8", "replace"),
            "headers": dict(self.headers),
            "etag": self.etag,
            "last_modified": self.last_modified,
            "stored_at": self.stored_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoredAnswer:
        return cls(
            url=str(data["url"]),
            status=int(data["status"]),
            body=str(data["body"]).encode("utf-8"),
            headers={str(k): str(v) for k, v in dict(data.get("headers") or {}).items()},
            etag=data.get("etag"),
            last_modified=data.get("last_modified"),
            stored_at=float(data.get("stored_at") or 0.0),
        )


class ValidatorStore(Protocol):
    """Where conditional-request validators live (in memory, or persisted by the cache)."""

    def get_answer(self, url: str) -> Optional[StoredAnswer]: ...

    def put_answer(self, answer: StoredAnswer) -> None: ...


@attrs.define
class MemoryValidatorStore:
    """A validator store that lives as long as the client."""

    _answers: dict[str, StoredAnswer] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def get_answer(self, url: str) -> Optional[StoredAnswer]:
        with self._lock:
            return self._answers.get(url)

    def put_answer(self, answer: StoredAnswer) -> None:
        with self._lock:
            self._answers[answer.url] = answer


@attrs.frozen
class RateLimit:
    """What a server said about its rate limit."""

    limit: Optional[int] = None
    remaining: Optional[int] = None
    #: Epoch seconds when the limit refills.
    reset: Optional[float] = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], now: float) -> RateLimit:
        """Read GitHub's ``X-RateLimit-*``, GitLab/Forgejo ``RateLimit-*`` and ``Retry-After``."""

        def number(*names: str) -> Optional[float]:
            for name in names:
                raw = headers.get(name)
                if raw is None:
                    continue
                try:
                    value = float(str(raw).strip())
                except ValueError:
                    continue
                if math.isfinite(value):  # "nan"/"inf" parse as floats but mean nothing
                    return value
            return None

        limit = number("X-RateLimit-Limit", "RateLimit-Limit")
        remaining = number("X-RateLimit-Remaining", "RateLimit-Remaining")
        reset = number("X-RateLimit-Reset", "RateLimit-Reset")
        if reset is not None and reset < 10**9:
            # RateLimit-Reset in the IETF draft (GitLab uses epoch, Forgejo seconds)
            reset = now + reset
        retry_after = headers.get("Retry-After")
        if retry_after is not None:
            retry_at = _parse_retry_after(str(retry_after), now)
            if retry_at is not None:
                reset = max(reset or 0.0, retry_at)
        if reset is not None:  # a reset in the year 3000 must not block a host for good
            reset = min(reset, now + MAX_RATE_LIMIT_WAIT)
        return cls(
            limit=None if limit is None else int(limit),
            remaining=None if remaining is None else int(remaining),
            reset=reset,
        )

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


def _parse_retry_after(value: str, now: float) -> Optional[float]:
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return now + max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


@attrs.frozen
class HttpResponse:
    """A read response; ``from_cache`` is true when a 304 let us reuse a stored answer."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    from_cache: bool = False
    rate_limit: RateLimit = attrs.field(factory=RateLimit)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self, what: str = "a JSON document") -> Any:
        """Decode the body as JSON, or raise CheckError saying what was expected.

        Answers nested too deeply for the decoder, or holding a run of digits longer than
        Python converts to a number (which would fail wherever a version is read from it),
        are refused with a CheckError too.
        """
        text = self._json_text(what)
        try:
            return json.loads(text)
        except RecursionError:
            raise self._json_error(what, "JSON nested too deeply to read") from None
        except ValueError:
            raise self._json_error(what) from None

    def json_items(self, what: str, limit: int) -> list[Any]:
        """The first ``limit`` items of a JSON list answer, decoded one item at a time.

        A page of releases may list far more items than asked for; only the ones used are
        turned into objects, so a huge page costs its bytes, not a hundred times as much.
        """
        text = self._json_text(what)
        at = _skip_space(text, 0)
        if not text.startswith("[", at):
            return self.json_list(what)  # not a list: the same errors as json_list
        decoder = json.JSONDecoder()
        items: list[Any] = []
        at = _skip_space(text, at + 1)
        if text.startswith("]", at):
            return items
        try:
            while len(items) < limit:
                item, at = decoder.raw_decode(text, at)
                items.append(item)
                at = _skip_space(text, at)
                if text.startswith("]", at):
                    break
                if not text.startswith(",", at):
                    raise ValueError("expected , or ]")
                at = _skip_space(text, at + 1)
        except RecursionError:
            raise self._json_error(what, "JSON nested too deeply to read") from None
        except ValueError:
            raise self._json_error(what) from None
        return items

    def _json_text(self, what: str) -> str:
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise self._json_error(what) from None
        digits = _max_int_digits()
        if digits and re.search(rf"(?<![0-9])[0-9]{{{digits + 1}}}", text):
            raise self._json_error(what, f"a number of more than {digits} digits")
        return text

    def _json_error(self, what: str, got: Optional[str] = None) -> CheckError:
        if got is None:
            kind = self.headers.get("Content-Type", "unknown content")
            got = f"{kind!s} that is not valid JSON"
        return CheckError(f"{_safe_url(self.url)}: expected {what}, got {got}")

    def json_object(self, what: str = "a JSON object") -> dict[str, Any]:
        data = self.json(what)
        if not isinstance(data, dict):
            raise CheckError(
                f"{_safe_url(self.url)}: expected {what}, got a JSON {type(data).__name__}"
            )
        return data

    def json_list(self, what: str = "a JSON list") -> list[Any]:
        data = self.json(what)
        if not isinstance(data, list):
            raise CheckError(
                f"{_safe_url(self.url)}: expected {what}, got a JSON {type(data).__name__}"
            )
        return data

    @property
    def next_link(self) -> Optional[str]:
        """The ``rel="next"`` target of a ``Link`` header, if any."""
        return parse_link_header(self.headers.get("Link", "")).get("next")


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, at: int) -> int:
    """The index of the first non-whitespace character of ``text`` from ``at`` on."""
    match = _SPACE.match(text, at)
    return at if match is None else match.end()


def _max_int_digits() -> int:
    """The most digits Python turns into an int (0: no limit, or a Python without one)."""
    limit: Callable[[], int] = getattr(sys, "get_int_max_str_digits", lambda: 0)
    return limit()


def parse_link_header(value: str) -> dict[str, str]:
    """Parse an RFC 8288 ``Link`` header into ``{rel: url}``; malformed parts are skipped."""
    links: dict[str, str] = {}
    for part in value.split(","):
        section = part.strip().split(";")
        if len(section) < 2:
            continue
        target = section[0].strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        for param in section[1:]:
            name, _, rel = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for r in rel.strip().strip('"').split():
                    links.setdefault(r, target[1:-1])
    return links


def _safe_url(url: str) -> str:
    """The URL without query string or user info, for messages (queries may carry tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}".lower()


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


def _new_session(pool_size: int) -> requests.Session:
    import requests

    from .deadline import DeadlineAdapter

    session = requests.Session()
    adapter = DeadlineAdapter(pool_connections=32, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@attrs.define
class HttpClient:
    """Shared HTTP client of one Manager; thread-safe."""

    timeout: tuple[float, float] = (5.0, 20.0)
    per_host_limit: int = 8
    _session: Optional[requests.Session] = attrs.field(default=None, alias="session")
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
    #: Within a round: the session's environment settings (proxies, CA bundle) per origin.
    _env_settings: dict[tuple[str, str], dict[str, Any]] = attrs.field(factory=dict, repr=False)

    @property
    def session(self) -> requests.Session:
        """The ``requests.Session``, made on first use (importing requests costs start-up)."""
        session = self._session
        if session is None:
            with self._lock:
                if self._session is None:
                    self._session = _new_session(max(self.per_host_limit, 10))
                session = self._session
        return session

    def close(self) -> None:
        """Close the session's kept-alive connections (if a request was ever made)."""
        if self._session is not None:
            self._session.close()

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
                    self._env_settings.clear()

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
            raise CheckError(f"not an http(s) URL: {_safe_url(url)!r}")
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
        raise _rate_limit_error(host, limit, status=None, api_message="", sent=False)

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
            from requests.structures import CaseInsensitiveDict

            merged_headers = CaseInsensitiveDict(stored.headers)
            merged_headers.update(resp_headers)
            return HttpResponse(url, stored.status, merged_headers, stored.body, True, rate)

        if status in (403, 429) and _looks_rate_limited(status, rate, body):
            self._remember_exhausted(bucket, rate)
            raise _rate_limit_error(host, rate, status=status, api_message=_api_message(body))
        if 200 <= status < 300 and rate.exhausted:
            # the answer is good, but the next request to this host would be refused
            self._remember_exhausted(bucket, rate)
        if not (200 <= status < 300) and status not in ok_statuses:
            message = _api_message(body)
            raise ApiCheckError(
                f"{_safe_url(url)} answered HTTP {status}" + (f": {message}" if message else ""),
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
                        headers={
                            k: v for k, v in resp_headers.items() if k.lower() in _KEPT_HEADERS
                        },
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
    ) -> tuple[int, CaseInsensitiveDict[str], bytes]:
        """Send and read the whole body within a deadline; map failures to NetworkError.

        The deadline is wall-clock time for connecting, redirects, headers and body together
        (``connect`` + ``read`` seconds), so a server sending a byte a second cannot hold a
        request longer than a silent one.
        """
        connect, read = self.timeout
        where = _safe_url(url)
        with self._lock:
            self.stats.sent += 1
        import requests

        from .deadline import Deadline, DeadlineTimeout

        deadline = Deadline(connect + read)
        late = NetworkError(
            f"{where}: no complete answer within {connect + read:g} seconds "
            f"(the connect + read timeout)"
        )
        try:
            response = self._follow(
                method,
                url,
                headers,
                auth,
                DeadlineTimeout(connect, read, deadline),
                credentials_base,
            )
            try:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(65536):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_BODY:
                        raise CheckError(f"{where}: answer larger than {MAX_BODY} bytes")
                    if deadline.expired:
                        break
                if deadline.expired:  # a cut-off answer must not pass for a whole one
                    raise late
                return response.status_code, response.headers, b"".join(chunks)
            finally:
                response.close()
        except requests.RequestException as exc:
            if deadline.expired:
                raise NetworkError(str(late), cause=exc) from None
            _raise_network_error(where, read, exc)
        finally:
            deadline.finish()

    def _follow(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        auth: Optional[tuple[str, str]],
        timeout: Any,
        credentials_base: Optional[str],
    ) -> requests.Response:
        """Open ``url`` and follow its redirects; credentials stay within their base."""
        base = credentials_base or host_of(url)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._open(method, url, headers, auth, timeout)
            location = response.headers.get("Location") if response.is_redirect else None
            if not location:
                return response
            response.close()
            following = urljoin(url, location)
            if not following.lower().startswith(("http://", "https://")):
                raise NetworkError(f"{_safe_url(url)}: redirected to a URL that is not http(s)")
            if not _below(following, base):
                headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
                auth = None
            if response.status_code == 303 and method != "HEAD":
                method = "GET"
            url = following
        raise NetworkError(f"{_safe_url(url)}: more than {MAX_REDIRECTS} redirects")

    def _open(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        auth: Optional[tuple[str, str]],
        timeout: Any,
    ) -> requests.Response:
        """``session.request(...)``; within a round the environment is read once per origin.

        ``Session.request`` reads the proxy and CA-bundle environment on every request (a
        scan of ``os.environ``, a fifth of its cost); a round reuses that answer per origin.
        A session whose ``request`` is overridden is always called as it is.
        """
        import requests

        session = self.session
        if not self._round_depth or type(session).request is not requests.Session.request:
            return session.request(
                method,
                url,
                headers=headers,
                auth=auth,
                timeout=timeout,
                stream=True,
                allow_redirects=False,
            )
        prepared = session.prepare_request(
            requests.Request(method=method, url=url, headers=headers, auth=auth, data={}, params={})
        )
        parts = urlsplit(prepared.url or url)
        origin = (parts.scheme.lower(), parts.netloc.lower())
        with self._lock:
            known = self._env_settings.get(origin)
        if known is not None:
            settings = known
        else:
            merged = session.merge_environment_settings(prepared.url, {}, True, None, None)
            settings = dict(merged)
            with self._lock:
                self._env_settings[origin] = settings
        return session.send(
            prepared,
            timeout=timeout,
            allow_redirects=False,
            **{**settings, "proxies": dict(settings["proxies"])},
        )


def _raise_network_error(where: str, read: float, exc: BaseException) -> NoReturn:
    """Raise the NetworkError for a failed request (timeout, connection, anything else)."""
    import requests

    if isinstance(exc, requests.Timeout):
        raise NetworkError(f"{where}: no answer within the timeout ({read:g} s)", cause=exc)
    if isinstance(exc, requests.ConnectionError):
        raise NetworkError(f"{where}: connection failed ({_reason(exc)})", cause=exc)
    raise NetworkError(f"{where}: request failed ({_reason(exc)})", cause=exc)


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


def _reason(exc: BaseException) -> str:
    """A short reason without URLs (which might carry credentials)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason if reason is not None else exc)
    # urllib3 and requests put the URL and object reprs before the last ": "
    text = text.rsplit(": ", 1)[-1].strip("'\" ")
    if text.count("(") < text.count(")"):  # the split cut an opening parenthesis off
        text = text.rstrip(")")
    return text[:200] or type(exc).__name__


def _looks_rate_limited(status: int, rate: RateLimit, body: bytes) -> bool:
    if status == 429 or rate.exhausted:
        return True
    lowered = body[:2000].lower()
    return b"rate limit" in lowered or b"ratelimit" in lowered


def _rate_limit_error(
    host: str, rate: RateLimit, *, status: Optional[int], api_message: str, sent: bool = True
) -> RateLimitCheckError:
    when = ""
    if rate.reset is not None:
        # a server may send any number: one beyond the platform's time range is not shown
        with contextlib.suppress(OverflowError, OSError, ValueError):
            when = " until " + time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(rate.reset))
    lead = "rate limit exhausted" if sent else "rate limit exhausted, request not sent"
    return RateLimitCheckError(
        f"{host}: {lead}{when}"
        + (f" ({rate.remaining}/{rate.limit} left)" if rate.limit is not None else ""),
        status=status,
        api_message=api_message,
        remaining=rate.remaining,
        limit=rate.limit,
        reset=rate.reset,
    )


def client_from(kwargs: Mapping[str, Any]) -> HttpClient:
    """The ``http`` keyword a check received, or a fresh client for direct callers."""
    client = kwargs.get("http")
    if isinstance(client, HttpClient):
        return client
    return HttpClient()
