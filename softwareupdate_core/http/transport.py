"""The transports that send one HTTP request for the client: urllib3 by default, or requests.

A transport sends exactly one request and reads its answer: no redirects, no caching, no rate
limits (the client around it does those, the same for every transport). It enforces a
wall-clock deadline for the whole exchange (connect, headers and body together): a server
that drips one byte a second is cut off at the deadline, not after a read timeout per byte.

:class:`Urllib3Transport` talks to urllib3's connection pools directly. Going through a
``requests.Session`` costs about three times the CPU per request (merging settings, cookies,
hooks, environment look-ups), which is what a Raspberry Pi feels in a round of fifty checks.
It honours the same environment a ``requests`` user expects: ``HTTP(S)_PROXY``/``NO_PROXY``,
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``/``SSL_CERT_FILE``, and credentials inside the URL.
:class:`RequestsTransport` wraps a ``requests.Session`` a host passes in (``Manager(session=)``).
"""

from __future__ import annotations

import base64
import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Mapping
from http.client import HTTPException, HTTPResponse
from typing import TYPE_CHECKING, Any, Optional, Protocol
from urllib.parse import SplitResult, unquote, urlsplit

import attrs

from ..exceptions import CheckError, NetworkError
from . import direct
from .direct import DirectPools
from .response import Headers

if TYPE_CHECKING:
    import requests
    import urllib3

#: Largest response body read, in bytes; larger answers are an error, not a memory spike.
MAX_BODY = 16 * 1024 * 1024
_CHUNK = 65536


@attrs.frozen
class RawAnswer:
    """One HTTP answer as read off the wire: status, headers (case-insensitive), whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """Sends one request (no redirects) and reads the whole answer before ``deadline``.

    Raises :class:`~softwareupdate_core.exceptions.NetworkError` when the server cannot be
    reached or the deadline passes, :class:`~softwareupdate_core.exceptions.CheckError` when the
    body is larger than ``max_body``. Messages never contain the URL's credentials.
    """

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: tuple[float, float],
        deadline: float,
        max_body: int = MAX_BODY,
    ) -> RawAnswer: ...

    def close(self) -> None: ...


def safe_url(url: str) -> str:
    """``url`` without user information and query (which may carry credentials)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def basic_auth(user: str, password: str) -> str:
    """The ``Authorization`` value for HTTP basic authentication."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


# -- the deadline ------------------------------------------------------------------------------


class DeadlineExceeded(NetworkError):
    """The whole answer did not arrive before the exchange's wall-clock deadline."""


#: Seconds between looks for a socket when the deadline passed while it was still connecting.
_POLL = 0.05


@attrs.define
class _Watch:
    deadline: float
    #: The urllib3/http.client connection while it sends and reads the headers.
    connection: Any = None
    #: The socket the body is read from: with ``Connection: close`` http.client hands it to
    #: the response and the connection's ``sock`` is None while the body arrives.
    sock: Optional[socket.socket] = None
    expired: bool = False
    done: bool = False


class Watchdog:
    """One thread per transport that shuts the socket of every exchange past its deadline.

    Shutting a socket down from another thread wakes a ``recv`` blocked in it, so the request
    ends with an error that the transport reports as the deadline passing. An exchange still
    connecting (no socket yet) is looked at again every few milliseconds until it has one or
    ends. The thread starts on first use and is told to stop by :meth:`close`.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: Optional[threading.Thread] = None
        self._closed = False

    def watch(self, deadline: float) -> _Watch:
        entry = _Watch(deadline)
        with self._condition:
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (deadline, next(self._order), entry))
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="softwareupdate-deadlines", daemon=True
                )
                self._thread.start()
            elif earliest is None or deadline < earliest:
                self._condition.notify()  # rarely: deadlines mostly arrive in order
        return entry

    def attach(self, entry: _Watch, connection: Any) -> None:
        """From now on ``entry``'s deadline shuts ``connection``'s socket."""
        with self._condition:
            entry.connection = connection
            if entry.expired:
                _shut(entry)

    def attach_socket(self, entry: _Watch, sock: Optional[socket.socket]) -> None:
        """From now on ``entry``'s deadline shuts ``sock`` (the socket the body comes from)."""
        if sock is None:
            return
        with self._condition:
            entry.sock = sock
            if entry.expired:
                _shut(entry)

    def release(self, entry: _Watch) -> None:
        with self._condition:
            entry.done = True
            entry.connection = None

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()

    def _run(self) -> None:
        with self._condition:
            while not self._closed:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                    _, _, entry = heapq.heappop(self._heap)
                    if not entry.done:
                        entry.expired = True
                        if not _shut(entry):  # still connecting: look again shortly
                            heapq.heappush(self._heap, (now + _POLL, next(self._order), entry))
                wait = self._heap[0][0] - now if self._heap else None
                self._condition.wait(wait)
            self._thread = None


def _shut(entry: _Watch) -> bool:
    """Shut the exchange's sockets in both directions; False if it has none yet."""
    shut = False
    for sock in (getattr(entry.connection, "sock", None), entry.sock):
        if isinstance(sock, socket.socket):
            # the plain socket's shutdown, also for TLS: SSLSocket.shutdown would drop the
            # TLS state under a reader in another thread; this wakes the blocked read at once
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            shut = True
    return shut


def _response_socket(response: Any) -> Optional[socket.socket]:
    """The socket a urllib3 response's body is read from (``http.client`` keeps it)."""
    fp = getattr(response, "_fp", None)
    raw = getattr(getattr(fp, "fp", None), "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


# -- urllib3 -----------------------------------------------------------------------------------


class Urllib3Transport:
    """A :class:`Transport` with kept-alive connections: urllib3 pools for proxies, else direct.

    Origins reached without a proxy use :mod:`.direct`'s ``http.client`` connections (half
    the CPU per request of urllib3's pool); requests through a proxy use urllib3's
    ``ProxyManager``. Both honour the deadline, the CA bundle and URL credentials alike.
    """

    def __init__(self, pool_size: int = 10) -> None:
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._managers: dict[str, urllib3.PoolManager] = {}
        #: The proxy per (scheme, host), or None: the environment is read once per origin.
        self._proxies: dict[tuple[str, str], Optional[str]] = {}
        self._direct: Optional[DirectPools] = None
        self._local = threading.local()
        self.watchdog = Watchdog()

    def close(self) -> None:
        self.watchdog.close()
        with self._lock:
            managers = list(self._managers.values())
            self._managers.clear()
            self._proxies.clear()
            direct, self._direct = self._direct, None
        for manager in managers:
            manager.clear()
        if direct is not None:
            direct.close()

    def _proxy(self, scheme: str, host: str) -> Optional[str]:
        """The proxy URL for an origin from the environment (``*_PROXY``/``NO_PROXY``)."""
        key = (scheme, host)
        if key in self._proxies:
            return self._proxies[key]
        import urllib.request

        proxy = None
        if not urllib.request.proxy_bypass(host):
            proxy = urllib.request.getproxies().get(scheme)
        with self._lock:
            self._proxies[key] = proxy
        return proxy

    def _pools(self) -> DirectPools:
        with self._lock:
            if self._direct is None:
                self._direct = DirectPools(self._pool_size, _ca_file())
            return self._direct

    def _manager(self, proxy: str) -> urllib3.PoolManager:
        with self._lock:
            manager = self._managers.get(proxy)
            if manager is None:
                manager = self._managers[proxy] = self._new_manager(proxy)
            return manager

    def _new_manager(self, proxy: str) -> urllib3.PoolManager:
        import urllib3

        options: dict[str, Any] = {"maxsize": self._pool_size, "block": False, "retries": False}
        ca_file = _ca_file()
        if ca_file:
            options["ca_certs"] = ca_file
        manager = urllib3.ProxyManager(proxy, num_pools=32, **options)
        transport = self

        def new_pool(scheme: str, host: str, port: int, request_context: Any = None) -> Any:
            pool = urllib3.PoolManager._new_pool(manager, scheme, host, port, request_context)
            pool.ConnectionCls = transport._watched(pool.ConnectionCls)
            return pool

        manager._new_pool = new_pool  # type: ignore[method-assign]
        return manager

    def _watched(self, base: type[Any]) -> type[Any]:
        """``base`` whose requests attach their connection to the current exchange's deadline."""
        local = self._local
        watchdog = self.watchdog

        class Watched(base):  # type: ignore[misc]
            def request(self, *args: Any, **kwargs: Any) -> Any:
                entry = getattr(local, "entry", None)
                if entry is not None:
                    watchdog.attach(entry, self)
                return super().request(*args, **kwargs)

        Watched.__name__ = f"Watched{base.__name__}"
        return Watched

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: tuple[float, float],
        deadline: float,
        max_body: int = MAX_BODY,
    ) -> RawAnswer:
        parts = urlsplit(url)
        where = safe_url(url)
        sent_headers = {"Accept-Encoding": "gzip, deflate", **headers}
        if parts.username is not None and not any(
            k.lower() == "authorization" for k in sent_headers
        ):
            sent_headers["Authorization"] = basic_auth(
                unquote(parts.username), unquote(parts.password or "")
            )
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        budget = max(0.0, deadline - time.monotonic())
        entry = self.watchdog.watch(deadline)
        try:
            proxy = self._proxy(scheme, host)
            if proxy is None:
                return self._send_direct(
                    method, parts, sent_headers, timeout, entry, max_body, where, budget
                )
            return self._send_proxied(
                proxy, method, parts, sent_headers, timeout, entry, max_body, where, budget
            )
        finally:
            self.watchdog.release(entry)

    def _send_direct(
        self,
        method: str,
        parts: SplitResult,
        headers: dict[str, str],
        timeout: tuple[float, float],
        entry: _Watch,
        max_body: int,
        where: str,
        budget: float,
    ) -> RawAnswer:
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pools = self._pools()
        conn = None
        response: Optional[HTTPResponse] = None
        complete = False
        try:
            for attempt in (1, 2):
                conn = pools.take(scheme, host, port) if attempt == 1 else None
                reused = conn is not None
                if conn is None:
                    conn = pools.new(scheme, host, port, timeout[0])
                    self.watchdog.attach(entry, conn)
                    direct.connect(conn, timeout[1])
                else:
                    self.watchdog.attach(entry, conn)
                # with ``Connection: close`` the answer keeps the socket, not ``conn``
                self.watchdog.attach_socket(entry, direct.socket_of(conn))
                try:
                    response = direct.exchange(conn, method, target, headers)
                except direct.STALE:
                    conn.close()
                    if reused and method in ("GET", "HEAD") and not entry.expired:
                        continue  # the server closed the idle connection: once more, anew
                    raise
                break
            assert response is not None  # the loop ends in an answer or an exception
            body = direct.read_body(response, where, max_body)
            if entry.expired:
                raise _too_slow(where, budget)
            complete = not response.will_close
            return RawAnswer(response.status, Headers(response.getheaders()), body)
        except direct.ConnectFailed as exc:
            if entry.expired:
                raise _too_slow(where, budget) from None
            raise NetworkError(f"{where}: connection failed ({_reason(exc)})", cause=exc) from None
        except (OSError, HTTPException) as exc:
            if entry.expired:
                raise _too_slow(where, budget) from None
            if isinstance(exc, TimeoutError):
                raise NetworkError(
                    f"{where}: no answer within the timeout ({timeout[1]:g} s)", cause=exc
                ) from None
            raise NetworkError(f"{where}: request failed ({_reason(exc)})", cause=exc) from None
        finally:
            if conn is not None:
                if complete:
                    pools.give_back(scheme, host, port, conn)  # kept alive for the next one
                else:
                    conn.close()  # a half-read answer: the connection is not reusable
            if response is not None and not complete:
                response.close()  # it may hold the socket itself (``Connection: close``)

    def _send_proxied(
        self,
        proxy: str,
        method: str,
        parts: SplitResult,
        headers: dict[str, str],
        timeout: tuple[float, float],
        entry: _Watch,
        max_body: int,
        where: str,
        budget: float,
    ) -> RawAnswer:
        import urllib3
        from urllib3.exceptions import HTTPError

        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        plain_url = f"{parts.scheme}://{netloc}{parts.path or '/'}"
        if parts.query:
            plain_url += f"?{parts.query}"
        self._local.entry = entry
        response = None
        complete = False
        try:
            response = self._manager(proxy).request(
                method,
                plain_url,
                headers=headers,
                timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
                preload_content=False,
                redirect=False,
                retries=False,
            )
            self._local.entry = None
            self.watchdog.attach_socket(entry, _response_socket(response))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.stream(_CHUNK):
                size += len(chunk)
                if size > max_body:
                    raise CheckError(f"{where}: answer larger than {max_body} bytes")
                chunks.append(chunk)
            if entry.expired:
                raise _too_slow(where, budget)
            complete = True
            return RawAnswer(response.status, Headers(response.headers), b"".join(chunks))
        except (HTTPError, OSError) as exc:
            if entry.expired:
                raise _too_slow(where, budget) from None
            raise _network_error(where, exc, timeout[1]) from None
        finally:
            self._local.entry = None
            if response is not None:
                if complete:
                    response.release_conn()  # kept alive for the next request
                else:
                    response.close()  # a half-read answer: the connection is not reusable


def _ca_file() -> Optional[str]:
    """The CA bundle a ``requests`` user would get: the environment's, else certifi's."""
    return (
        os.environ.get("REQUESTS_CA_BUNDLE")
        or os.environ.get("CURL_CA_BUNDLE")
        or os.environ.get("SSL_CERT_FILE")
        or _certifi_bundle()
    )


def _certifi_bundle() -> Optional[str]:
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def _too_slow(where: str, budget: float) -> DeadlineExceeded:
    return DeadlineExceeded(f"{where}: gave up after {budget:.0f} seconds without a whole answer")


def _network_error(where: str, exc: BaseException, read: float) -> NetworkError:
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

    if isinstance(exc, ReadTimeoutError):
        return NetworkError(f"{where}: no answer within the timeout ({read:g} s)", cause=exc)
    if isinstance(exc, (ConnectTimeoutError, NewConnectionError)):
        return NetworkError(f"{where}: connection failed ({_reason(exc)})", cause=exc)
    return NetworkError(f"{where}: request failed ({_reason(exc)})", cause=exc)


def _reason(exc: BaseException) -> str:
    """A short reason without URLs (which might carry credentials)."""
    text = str(exc).rsplit(": ", 1)[-1].strip("'\" ")
    if text.count("(") < text.count(")"):
        text = text.rstrip(")")
    return text[:200] or type(exc).__name__


# -- requests ----------------------------------------------------------------------------------


class RequestsTransport:
    """A :class:`Transport` over a ``requests.Session`` a host passed in (not closed here).

    The deadline covers the body; requests gives no hold on the socket while it waits for
    the headers, which the read timeout bounds instead.
    """

    def __init__(self, session: requests.Session) -> None:
        self.session = session
        self.watchdog = Watchdog()

    def close(self) -> None:
        self.watchdog.close()

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: tuple[float, float],
        deadline: float,
        max_body: int = MAX_BODY,
    ) -> RawAnswer:
        import requests

        where = safe_url(url)
        budget = max(0.0, deadline - time.monotonic())
        entry = self.watchdog.watch(deadline)
        try:
            response = self.session.request(
                method,
                url,
                headers=dict(headers),
                timeout=timeout,
                stream=True,
                allow_redirects=False,
            )
            try:
                raw = getattr(response.raw, "_connection", None) or getattr(
                    response.raw, "connection", None
                )
                if raw is not None:
                    self.watchdog.attach(entry, raw)
                self.watchdog.attach_socket(entry, _response_socket(response.raw))
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(_CHUNK):
                    size += len(chunk)
                    if size > max_body:
                        raise CheckError(f"{where}: answer larger than {max_body} bytes")
                    chunks.append(chunk)
                if entry.expired:
                    raise _too_slow(where, budget)
                return RawAnswer(response.status_code, response.headers, b"".join(chunks))
            finally:
                response.close()
        except (requests.RequestException, OSError) as exc:
            if entry.expired:
                raise _too_slow(where, budget) from None
            if isinstance(exc, requests.Timeout):
                raise NetworkError(
                    f"{where}: no answer within the timeout ({timeout[1]:g} s)", cause=exc
                ) from None
            if isinstance(exc, requests.ConnectionError):
                raise NetworkError(
                    f"{where}: connection failed ({_reason(exc)})", cause=exc
                ) from None
            raise NetworkError(f"{where}: request failed ({_reason(exc)})", cause=exc) from None
        finally:
            self.watchdog.release(entry)
