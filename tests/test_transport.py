"""The transports against real servers on 127.0.0.1: one request, whole answer, a hard deadline."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from softwareupdate_core import Manager
from softwareupdate_core.exceptions import CheckError, NetworkError
from softwareupdate_core.http.requests_transport import RequestsTransport
from softwareupdate_core.http.transport import Transport, Urllib3Transport
from tests.httpserver import FakeServer, Reply, Request

TIMEOUT = (2.0, 2.0)


@pytest.fixture(params=["urllib3", "requests"])
def transport(request: pytest.FixtureRequest) -> Iterator[Transport]:
    """Each transport in turn, closed after the test."""
    if request.param == "urllib3":
        made: Transport = Urllib3Transport()
    else:
        session = requests.Session()
        request.addfinalizer(session.close)
        made = RequestsTransport(session)
    try:
        yield made
    finally:
        made.close()


def test_answer_is_read_whole(transport: Transport, server: FakeServer) -> None:
    """Status, headers (any case) and body come back as the server sent them."""
    server.route("/x", Reply(201, "hello", {"ETag": '"a"'}))
    answer = transport.send(
        "GET", f"{server.url}/x", {}, timeout=TIMEOUT, deadline=time.monotonic() + 5
    )
    assert (answer.status, answer.body, answer.headers["etag"]) == (201, b"hello", '"a"')


def test_connection_is_kept_alive(server: FakeServer) -> None:
    """Three requests to one server use one connection."""
    server.route("/x", Reply(200, "ok"))
    transport = Urllib3Transport()
    try:
        for _ in range(3):
            transport.send(
                "GET", f"{server.url}/x", {}, timeout=TIMEOUT, deadline=time.monotonic() + 5
            )
    finally:
        transport.close()
    assert server.connections == 1


def test_redirects_are_returned_not_followed(transport: Transport, server: FakeServer) -> None:
    """A 302 is the caller's to follow (it decides where credentials may go)."""
    server.route("/from", Reply(302, "", {"Location": "/to"}))
    server.route("/to", Reply(200, "there"))
    answer = transport.send(
        "GET", f"{server.url}/from", {}, timeout=TIMEOUT, deadline=time.monotonic() + 5
    )
    assert answer.status == 302
    assert [r.path for r in server.requests] == ["/from"]


def test_url_credentials_become_basic_auth_and_stay_out_of_errors(server: FakeServer) -> None:
    """user:password in a URL is sent as basic auth and never appears in an error message."""
    seen: list[str] = []

    def handler(request: Request) -> Reply:
        seen.append(request.header("Authorization") or "")
        return Reply(200, "ok")

    server.route("/simple/", handler)
    host = server.url.split("//", 1)[1]
    transport = Urllib3Transport()
    try:
        transport.send(
            "GET",
            f"http://me:s%40cret@{host}/simple/",
            {},
            timeout=TIMEOUT,
            deadline=time.monotonic() + 5,
        )
        with pytest.raises(NetworkError) as failed:
            transport.send(
                "GET",
                "http://me:s%40cret@127.0.0.1:9/x",
                {},
                timeout=TIMEOUT,
                deadline=time.monotonic() + 5,
            )
    finally:
        transport.close()
    assert seen == ["Basic bWU6c0BjcmV0"]  # me:s@cret
    assert "cret" not in str(failed.value) and "connection failed" in str(failed.value)


def test_compressed_answer_is_decoded(transport: Transport, server: FakeServer) -> None:
    """A gzip-encoded body arrives decoded."""
    server.route("/z", Reply(200, gzip.compress(b"x" * 1000), {"Content-Encoding": "gzip"}))
    answer = transport.send(
        "GET", f"{server.url}/z", {}, timeout=TIMEOUT, deadline=time.monotonic() + 5
    )
    assert answer.body == b"x" * 1000


def test_oversized_answer_is_an_error(transport: Transport, server: FakeServer) -> None:
    """A body beyond max_body is refused with the limit named."""
    server.route("/big", Reply(200, b"y" * 5000))
    with pytest.raises(CheckError, match="larger than 1000 bytes"):
        transport.send(
            "GET",
            f"{server.url}/big",
            {},
            timeout=TIMEOUT,
            deadline=time.monotonic() + 5,
            max_body=1000,
        )


# -- a server that drips ---------------------------------------------------------------------


@pytest.fixture
def dripping() -> Iterator[Callable[[bytes, bytes], str]]:
    """Starts raw servers that send ``head`` at once, then ``drip`` one byte every 0.2 s."""
    stop = threading.Event()
    listeners: list[socket.socket] = []

    def start(head: bytes, drip: bytes) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve() -> None:
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                with conn:
                    conn.recv(65536)
                    conn.sendall(head)
                    for byte in drip:
                        if stop.is_set():
                            break
                        try:
                            conn.sendall(bytes([byte]))
                        except OSError:
                            break
                        time.sleep(0.2)

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}/"

    yield start
    stop.set()
    for listener in listeners:
        listener.close()


def test_dripping_headers_are_cut_off_at_the_deadline(
    dripping: Callable[[bytes, bytes], str],
) -> None:
    """Headers arriving a byte at a time end at the 1 s deadline, not per-byte read timeouts."""
    url = dripping(b"", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Slow: " + b"a" * 200)
    transport = Urllib3Transport()
    start = time.monotonic()
    try:
        with pytest.raises(NetworkError, match="gave up after 1 seconds"):
            transport.send("GET", url, {}, timeout=TIMEOUT, deadline=time.monotonic() + 1.0)
    finally:
        transport.close()
    assert time.monotonic() - start < 5  # the drip alone would take 45 s


def test_dripping_body_is_cut_off_at_the_deadline(
    transport: Transport, dripping: Callable[[bytes, bytes], str]
) -> None:
    """A body arriving a byte at a time ends at the 1 s deadline, with a clear message."""
    url = dripping(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n", b"b" * 200)
    start = time.monotonic()
    with pytest.raises(NetworkError, match="gave up after 1 seconds"):
        transport.send("GET", url, {}, timeout=TIMEOUT, deadline=time.monotonic() + 1.0)
    assert time.monotonic() - start < 5  # the drip alone would take 40 s


def test_dripping_body_after_connection_close_is_cut_off_at_the_deadline(
    transport: Transport, dripping: Callable[[bytes, bytes], str]
) -> None:
    """With ``Connection: close`` the answer owns the socket; the deadline still cuts it."""
    head = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 200\r\n\r\n"
    url = dripping(head, b"c" * 200)
    start = time.monotonic()
    with pytest.raises(NetworkError, match="gave up after 1 seconds"):
        transport.send("GET", url, {}, timeout=TIMEOUT, deadline=time.monotonic() + 1.0)
    assert time.monotonic() - start < 5  # the drip alone would take 40 s


def test_idle_connection_closed_by_the_server_is_replaced() -> None:
    """A kept-alive connection the server closed meanwhile is not an error: a new one is made."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            accepted.append(1)
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                time.sleep(0.2)  # then close, as a server's keep-alive timeout does

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    transport = Urllib3Transport()
    try:
        first = transport.send("GET", url, {}, timeout=TIMEOUT, deadline=time.monotonic() + 5)
        time.sleep(0.5)  # the server has closed the idle connection by now
        second = transport.send("GET", url, {}, timeout=TIMEOUT, deadline=time.monotonic() + 5)
    finally:
        transport.close()
        thread.join(5)
        listener.close()
    assert (first.body, second.body) == (b"ok", b"ok")
    assert len(accepted) == 2


def test_manager_with_a_host_session_sends_through_it(server: FakeServer, tmp_path: Path) -> None:
    """``Manager(session=...)``: a round's requests go through the host's requests.Session."""
    sent: list[str] = []

    class CountingSession(requests.Session):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            sent.append(request.url or "")
            return super().send(request, **kwargs)

    server.route("/repos/o/tool/releases", Reply.json([{"tag_name": "2.0.0"}]))
    checks = {
        "tool": {
            "type": "github_release",
            "user": "o",
            "repo": "tool",
            "api_url": server.url,
            "current": "1.0.0",
        }
    }
    with (
        CountingSession() as session,
        Manager(
            {"check_overlay_url": None, "checks": checks},
            data_folder=tmp_path,
            load_entrypoints=False,
            session=session,
        ) as manager,
    ):
        report = manager.check(force=True)
    assert report.targets["tool"].remote_version == "2.0.0"
    assert [url.split("?")[0] for url in sent] == [f"{server.url}/repos/o/tool/releases"]
