"""The TLS stand-in for ``api.github.com`` that stock OctoPrint talks to in the live tests.

Stock OctoPrint 1.11.8 always asks ``https://api.github.com``: the fake GitHub is served over
TLS with a throwaway certificate for that name (:func:`make_certificate`), reached through a
CONNECT proxy (:class:`ConnectProxy`) that tunnels only to it and counts the tunnels, i.e. new
connections to "GitHub".
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import subprocess
import threading
from pathlib import Path
from typing import Optional

import attrs

GITHUB_HOST = "api.github.com"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for ``api.github.com`` (openssl, one day)."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "github.pem", folder / "github.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", f"/CN={GITHUB_HOST}", "-addext", f"subjectAltName=DNS:{GITHUB_HOST}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


@attrs.define
class ConnectProxy:
    """An HTTP CONNECT proxy that tunnels ``api.github.com:443`` to one local port only."""

    upstream_port: int
    port: int = 0
    tunnels: int = 0
    refused: list[str] = attrs.field(factory=list)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)
    _server: Optional[socketserver.ThreadingTCPServer] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ConnectProxy:
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(8192).decode("latin-1").strip()
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                parts = line.split()
                if len(parts) < 2 or parts[0] != "CONNECT" or parts[1] != f"{GITHUB_HOST}:443":
                    with proxy._lock:
                        proxy.refused.append(line)
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                with proxy._lock:
                    proxy.tunnels += 1
                upstream = socket.create_connection(("127.0.0.1", proxy.upstream_port), 10)
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                _relay(self.connection, upstream)

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def reset_counts(self) -> None:
        with self._lock:
            self.tunnels = 0
            self.refused.clear()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _relay(a: socket.socket, b: socket.socket) -> None:
    selector = selectors.DefaultSelector()
    selector.register(a, selectors.EVENT_READ, b)
    selector.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            for key, _ in selector.select(timeout=120):
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                data = source.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        return
    finally:
        selector.close()
        b.close()
