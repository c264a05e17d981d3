"""A wall-clock deadline for one HTTP request: connect, headers and body together.

Socket timeouts bound each single read, so a server that sends one byte a second never
trips them and can hold a request for as long as it likes. :class:`Deadline` runs a small
watchdog thread for the request; when the time is up it shuts down the sockets of the
connections the request used, which ends any read blocked on them. The HTTP client then
reports the request as timed out. The connections are found through the urllib3 pools of
:class:`DeadlineAdapter`, which hand every connection a request uses to the request's
:class:`DeadlineTimeout`.

Only imported when a request is made (it imports requests and urllib3).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any, Optional

from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.timeout import Timeout

#: Seconds between looks for a connection that had no socket yet when the time was up.
_POLL = 0.05


class Deadline:
    """The wall-clock budget of one request; a watchdog ends it when the budget is spent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._at = time.monotonic() + seconds
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._thread = threading.Thread(target=self._watch, name="http-deadline", daemon=True)
        self._thread.start()

    def watch(self, connection: Any) -> None:
        """Shut ``connection``'s socket down if the request is still running at the deadline.

        ``connection`` is a urllib3 connection, or a socket itself.
        """
        with self._lock:
            self._connections.append(connection)
            late = self.expired
        if late:
            _shut_down(connection)

    def finish(self) -> None:
        """The request is over: stop the watchdog and forget the connections."""
        self._done.set()
        with self._lock:
            self._connections.clear()

    def _watch(self) -> None:
        if self._done.wait(max(0.0, self._at - time.monotonic())):
            return
        with self._lock:
            self.expired = True
        # a connection may still be connecting (no socket yet): look again until it has one
        while True:
            with self._lock:
                pending = [c for c in self._connections if not _shut_down(c)]
            if not pending or self._done.wait(_POLL):
                return


def _shut_down(connection: Any) -> bool:
    """Shut the connection's socket down in both directions; False if it has none yet."""
    sock = (
        connection if isinstance(connection, socket.socket) else getattr(connection, "sock", None)
    )
    if not isinstance(sock, socket.socket):
        return False
    # the plain socket's shutdown, also for TLS: it wakes a blocked read at once
    with contextlib.suppress(OSError):  # already closed or never connected
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    return True


class DeadlineTimeout(Timeout):
    """A urllib3 timeout that carries the request's :class:`Deadline` through the pool."""

    def __init__(self, connect: float, read: float, deadline: Deadline) -> None:
        super().__init__(connect=connect, read=read)
        self.deadline = deadline

    def clone(self) -> DeadlineTimeout:
        # the pool clones the timeout of every request; the clone keeps the deadline
        return DeadlineTimeout(self._connect, self._read, self.deadline)  # type: ignore[arg-type]


def _response_socket(response: Any) -> Optional[socket.socket]:
    """The socket an answer's body is read from.

    A connection that closes after the answer hands its socket over to the response
    (``conn.sock`` becomes None); ``http.client`` keeps it as ``fp.raw._sock``.
    """
    fp = getattr(response, "_fp", response)  # urllib3 2 wraps the http.client response
    raw = getattr(getattr(fp, "fp", None), "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _watched_request(make: Any, conn: Any, args: Any, kwargs: dict[str, Any]) -> Any:
    timeout = kwargs.get("timeout")
    if not isinstance(timeout, DeadlineTimeout):
        return make(conn, *args, **kwargs)
    timeout.deadline.watch(conn)
    response = make(conn, *args, **kwargs)
    sock = _response_socket(response)
    if sock is not None:
        timeout.deadline.watch(sock)
    return response


class _WatchedPool(HTTPConnectionPool):
    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        return _watched_request(super()._make_request, conn, args, kwargs)


class _WatchedHTTPSPool(HTTPSConnectionPool):
    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        return _watched_request(super()._make_request, conn, args, kwargs)


_POOLS = {"http": _WatchedPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose pools (direct and via HTTP proxies) honour a DeadlineTimeout."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager).__name__ == "ProxyManager" and isinstance(manager, PoolManager):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
