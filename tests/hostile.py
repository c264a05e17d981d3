"""A hostile HTTP server on 127.0.0.1: it drips, floods, nests, pages and redirects on purpose.

Unlike :class:`tests.httpserver.FakeServer` it writes raw bytes to the socket, so it can
stop halfway through a header line, send a body one byte a second, or stream a body far
larger than anything it holds in memory. Each path (without query) gets a scenario; every
request is recorded with its headers. One connection serves one request
(``Connection: close``), so a scenario never has to care about what comes after it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
from collections.abc import Iterator, Mapping
from typing import Callable, Optional, Union
from urllib.parse import parse_qs, urlsplit

import attrs


@attrs.frozen
class SeenRequest:
    """A request as the hostile server read it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())


@attrs.define
class Wire:
    """The client connection of one request; writes stop quietly once the client is gone."""

    sock: socket.socket
    stop: threading.Event
    gone: bool = False

    def send(self, data: bytes) -> bool:
        """Write ``data``; False once the client closed the connection or the server stops."""
        if self.gone or self.stop.is_set():
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            self.gone = True
        return not self.gone

    def wait(self, seconds: float) -> bool:
        """Sleep, waking early when the server stops; False if it stopped."""
        return not self.stop.wait(seconds)


#: A scenario answers one request by writing to the wire.
Scenario = Callable[[SeenRequest, Wire], None]


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Hostile", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(
    body: Union[bytes, str] = b"",
    status: int = 200,
    headers: Optional[Mapping[str, str]] = None,
) -> Scenario:
    """A complete, well-formed answer (whatever its body holds)."""
    payload = body.encode() if isinstance(body, str) else body

    def serve(_request: SeenRequest, wire: Wire) -> None:
        head = {"Content-Type": "application/json", **dict(headers or {})}
        head["Content-Length"] = str(len(payload))
        wire.send(_head(status, head) + payload)

    return serve


def json_answer(data: object, status: int = 200) -> Scenario:
    return answer(json.dumps(data), status)


def drip_headers(seconds: float, interval: float = 1.0) -> Scenario:
    """A status line, then a header line one byte per ``interval`` for ``seconds``, then close."""

    def serve(_request: SeenRequest, wire: Wire) -> None:
        if not wire.send(b"HTTP/1.1 200 OK\r\nX-Drip: "):
            return
        for _ in range(int(seconds / interval)):
            if not (wire.wait(interval) and wire.send(b"a")):
                return

    return serve


def drip_body(seconds: float, interval: float = 1.0) -> Scenario:
    """Complete headers promising a JSON body, then one byte per ``interval`` for ``seconds``."""
    count = int(seconds / interval)

    def serve(_request: SeenRequest, wire: Wire) -> None:
        body = b" " * (count - 1) + b"{"  # whitespace, then never a whole document
        head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        if not wire.send(_head(200, head)):
            return
        for byte in body:
            if not (wire.wait(interval) and wire.send(bytes([byte]))):
                return

    return serve


def flood(size: int, chunk: int = 1 << 20) -> Scenario:
    """A chunked body of ``size`` bytes of JSON whitespace, generated as it is sent."""

    def serve(_request: SeenRequest, wire: Wire) -> None:
        head = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        if not wire.send(_head(200, head)):
            return
        block = b" " * chunk
        sent = 0
        while sent < size:
            piece = block[: min(chunk, size - sent)]
            if not wire.send(b"%x\r\n%s\r\n" % (len(piece), piece)):
                return
            sent += len(piece)
        wire.send(b"0\r\n\r\n")

    return serve


def gzip_bomb(expanded: int) -> Scenario:
    """A small ``Content-Encoding: gzip`` body that inflates to ``expanded`` bytes."""
    payload = gzip.compress(b" " * expanded, compresslevel=9)
    return answer(payload, headers={"Content-Encoding": "gzip"})


def deep_json(depth: int, status: int = 200) -> Scenario:
    """``depth`` nested JSON lists (``[[[...]]]``), as an answer or as an error body."""
    return answer("[" * depth + "]" * depth, status)


def redirect(location: str, status: int = 302) -> Scenario:
    """A redirect to ``location`` (absolute, or a path on this server)."""
    return answer(b"", status, {"Location": location})


def pages(body: bytes, count: int, path: str, base_url: Callable[[], str]) -> Scenario:
    """``count`` pages of the same JSON list body, linked by ``Link: rel="next"``."""

    def serve(request: SeenRequest, wire: Wire) -> None:
        try:
            page = max(1, int(request.query.get("page", ["1"])[0]))
        except ValueError:
            page = 1
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        if page < count:
            headers["Link"] = f'<{base_url()}{path}?page={page + 1}>; rel="next"'
        if wire.send(_head(200, headers)):
            wire.send(body)

    return serve


@attrs.define
class HostileServer:
    """A running hostile server; add scenarios with :meth:`add`, read :attr:`requests`."""

    host: str = "127.0.0.1"
    port: int = 0
    scenarios: dict[str, Scenario] = attrs.field(factory=dict)
    requests: list[SeenRequest] = attrs.field(factory=list)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)
    _stop: threading.Event = attrs.field(factory=threading.Event)
    _listener: Optional[socket.socket] = None
    _threads: list[threading.Thread] = attrs.field(factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add(self, path: str, scenario: Scenario) -> str:
        """Serve ``path`` with ``scenario``; returns the full URL."""
        self.scenarios[path] = scenario
        return self.url + path

    def hits(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> HostileServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self._listener = listener
        self.port = listener.getsockname()[1]
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                sock, _addr = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            with self._lock:
                self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        with sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(10)
            request = _read_request(sock)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            scenario = self.scenarios.get(request.path) or answer("not here", 404)
            wire = Wire(sock, self._stop)
            scenario(request, wire)
            if not wire.gone:
                # wait for the client to hang up, so it never sees a reset before the data
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
                    sock.settimeout(2)
                    while sock.recv(65536):
                        pass


def _read_request(sock: socket.socket) -> Optional[SeenRequest]:
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
            if len(data) > 1 << 20:
                return None
    except OSError:
        return None
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    request_line, *lines = head.split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    parts = urlsplit(target)
    return SeenRequest(method, parts.path, parse_qs(parts.query), headers)


def release_page(count: int, *, prerelease: bool = True, tag: str = "v1.0.{n}") -> bytes:
    """A GitHub/Forgejo-style JSON list of ``count`` release objects, built as bytes."""

    def items() -> Iterator[str]:
        for n in range(count):
            yield json.dumps(
                {
                    "tag_name": tag.format(n=n),
                    "name": f"r{n}",
                    "prerelease": prerelease,
                    "draft": False,
                    "target_commitish": "main",
                }
            )

    return ("[" + ",".join(items()) + "]").encode()
