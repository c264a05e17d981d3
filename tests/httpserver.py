"""A real HTTP server on 127.0.0.1 for tests: routes, recorded requests, latency, hangs.

Handlers get a :class:`Request` and return a :class:`Reply` (or a tuple/dict shortcut).
The server counts connections and the most requests in flight at once, so tests can show
connection reuse and per-host limits.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qs, urlsplit

import attrs


@attrs.frozen
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    connection_id: int

    def header(self, name: str) -> Optional[str]:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@attrs.frozen
class Reply:
    status: int = 200
    body: Union[bytes, str] = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    #: Seconds to sleep before answering (a hanging server: a large number).
    delay: float = 0.0

    @classmethod
    def json(
        cls, data: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None, **kw: Any
    ) -> Reply:
        return cls(
            status,
            json.dumps(data),
            {"Content-Type": "application/json", **dict(headers or {})},
            **kw,
        )


Handler = Callable[[Request], Reply]


@attrs.define
class FakeServer:
    """The state behind one running server; add routes with :meth:`route`."""

    host: str = "127.0.0.1"
    port: int = 0
    #: Extra seconds before every answer, and before the first answer of a new connection.
    latency: float = 0.0
    connect_latency: float = 0.0
    routes: dict[tuple[str, str], Handler] = attrs.field(factory=dict)
    #: Answers every request no route matches (instead of 404), e.g. for fuzz tests.
    fallback: Optional[Handler] = None
    #: Serve HTTPS with this server-side context (e.g. a fake ``api.github.com`` behind a proxy).
    ssl_context: Optional[ssl.SSLContext] = None
    requests: list[Request] = attrs.field(factory=list)
    connections: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock)
    _server: Optional[ThreadingHTTPServer] = None
    _thread: Optional[threading.Thread] = None
    _stop: threading.Event = attrs.field(factory=threading.Event)

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def route(self, path: str, handler: Union[Handler, Reply, Any], method: str = "GET") -> None:
        """Serve ``path`` (without query) with a handler, a fixed Reply, or JSON data."""
        if isinstance(handler, Reply):
            fixed = handler
            self.routes[(method, path)] = lambda _req: fixed
        elif callable(handler):
            self.routes[(method, path)] = handler
        else:
            data = handler
            self.routes[(method, path)] = lambda _req: Reply.json(data)

    def hits(self, path: Optional[str] = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.connections = 0
            self.max_in_flight = 0

    def start(self) -> FakeServer:
        state = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in separate writes: without TCP_NODELAY, Nagle plus
            # the client's delayed ACK add ~40 ms to every answer on a kept-alive connection
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with state._lock:
                    state.connections += 1
                    self.connection_id = state.connections
                self.first = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    dict(self.headers.items()),
                    body,
                    self.connection_id,
                )
                with state._lock:
                    state.requests.append(request)
                    state.in_flight += 1
                    state.max_in_flight = max(state.max_in_flight, state.in_flight)
                try:
                    delay = state.latency + (state.connect_latency if self.first else 0.0)
                    self.first = False
                    handler = state.routes.get((self.command, parts.path))
                    if handler is None and self.command == "HEAD":
                        handler = state.routes.get(("GET", parts.path))
                    handler = handler or state.fallback
                    reply = handler(request) if handler else Reply(404, "not found")
                    delay += reply.delay
                    if delay:
                        _sleep(delay, state._stop)
                    if state._stop.is_set():
                        return
                    payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD" and reply.status not in (204, 304):
                        self.wfile.write(payload)
                finally:
                    with state._lock:
                        state.in_flight -= 1

            do_GET = do_HEAD = do_POST = do_PUT = _serve

        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        if self.ssl_context is not None:
            server.socket = self.ssl_context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _sleep(seconds: float, stop: threading.Event) -> None:
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        stop.wait(min(left, 0.05))
