"""The transports that send one HTTP request for the client: direct/urllib3, or requests.

A transport sends exactly one request and reads its answer: no redirects, no caching, no rate
limits (the client around it does those, the same for every transport). It enforces a
wall-clock deadline for the whole exchange (connect, headers and body together) through one
:class:`~.watchdog.Watchdog` thread per transport: a server that drips one byte a second is
cut off at the deadline, not after a read timeout per byte.

:class:`Urllib3Transport` keeps connections alive itself: ``http.client`` connections
(:mod:`.direct`) for origins reached without a proxy, urllib3's ``ProxyManager`` through a
proxy. Going through a ``requests.Session`` costs about three times the CPU per request
(merging settings, cookies, hooks, environment look-ups), which is what a Raspberry Pi feels
in a round of fifty checks. It honours the same environment a ``requests`` user expects:
``HTTP(S)_PROXY``/``NO_PROXY``, ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``/``SSL_CERT_FILE``,
and credentials inside the URL. :class:`~.requests_transport.RequestsTransport` wraps a
``requests.Session`` a host passes in (``Manager(session=)``).
"""

from __future__ import annotations

import base64
import logging
import os
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
from .response import Headers, safe_url
from .watchdog import DeadlineExceeded, Watchdog, _response_socket, _Watch

if TYPE_CHECKING:
    import urllib3

log = logging.getLogger(__name__)

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
        body: Optional[bytes] = None,
    ) -> RawAnswer: ...

    def close(self) -> None: ...


def basic_auth(user: str, password: str) -> str:
    """The ``Authorization`` value for HTTP basic authentication."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


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
        body: Optional[bytes] = None,
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
                    method, parts, sent_headers, timeout, entry, max_body, where, budget, body
                )
            return self._send_proxied(
                proxy, method, parts, sent_headers, timeout, entry, max_body, where, budget, body
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
        body: Optional[bytes] = None,
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
                    response = direct.exchange(conn, method, target, headers, body)
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
            # a recorded answer (vcrpy's) has no will_close: its connection is not kept
            complete = not getattr(response, "will_close", True)
            # the request line at DEBUG, as urllib3 logs it (hosts mask it: RedactingFilter)
            log.debug(
                '%s://%s:%s "%s %s HTTP/1.1" %s %s',
                scheme,
                host,
                port,
                method,
                target,
                response.status,
                len(body),
            )
            return RawAnswer(response.status, Headers(response.msg.raw_items()), body)
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
        body: Optional[bytes] = None,
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
                body=body,
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
