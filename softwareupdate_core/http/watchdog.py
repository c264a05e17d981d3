"""The deadline of an HTTP exchange: one watchdog thread per transport shuts late sockets.

Socket timeouts bound each single read, so a server that sends one byte a second never trips
them. The watchdog keeps the deadlines of the exchanges in flight in a heap; when one passes
it shuts the exchange's socket down in both directions, which ends the read blocked on it at
once, and the transport reports the deadline as passed.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any, Optional

import attrs

from ..exceptions import NetworkError


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
