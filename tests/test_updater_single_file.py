"""The ``single_file_plugin`` update method against the real HTTP server fixture."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core.exceptions import CannotUpdateOffline, ConfigurationInvalid, UpdateError
from softwareupdate_core.http import HttpClient
from softwareupdate_core.updaters import single_file_plugin
from tests.configcheck import validated
from tests.httpserver import FakeServer, Reply

OLD = "# old plugin\nVERSION = 1\n"
NEW = "# new plugin\nVERSION = 2\n"


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    """A plugin folder holding version 1 of ``demo_plugin.py``."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "demo_plugin.py").write_text(OLD)
    return folder


@pytest.fixture
def client() -> Iterator[HttpClient]:
    """A shared client with short timeouts, closed after the test."""
    http = HttpClient(timeout=(1.0, 1.0))
    try:
        yield http
    finally:
        http.close()


def make_check(
    server: FakeServer, plugins: Path, path: str = "/raw/demo_plugin.py", **extra: Any
) -> dict[str, Any]:
    return {"url": server.url + path, "plugin_folder": str(plugins), **extra}


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.parent.rglob("*") if p.is_file()}


def test_downloads_and_replaces_the_plugin_file(
    server: FakeServer, plugins: Path, client: HttpClient
) -> None:
    """A valid Python download replaces the installed file and logs what it did."""
    server.route("/raw/demo_plugin.py", Reply(200, NEW, {"Content-Type": "text/plain"}))
    lines: list[tuple[str, str]] = []
    check = make_check(server, plugins)
    assert single_file_plugin.can_perform_update("demo", check)

    result = single_file_plugin.perform_update(
        "demo",
        check,
        "etag-123",
        log_cb=lambda ls, prefix=None, stream="": lines.extend((stream, line) for line in ls),
        http=client,
    )

    assert result == str(plugins / "demo_plugin.py")
    assert (plugins / "demo_plugin.py").read_text() == NEW
    assert sorted(p.name for p in plugins.iterdir()) == ["demo_plugin.py"]
    assert lines and lines[0][0] == "message" and "demo_plugin.py" in lines[0][1]
    assert len(server.hits("/raw/demo_plugin.py")) == 1


def test_works_without_a_shared_client(server: FakeServer, plugins: Path) -> None:
    """Called directly without ``http=``, the method uses (and closes) its own client."""
    server.route("/raw/demo_plugin.py", Reply(200, NEW))
    single_file_plugin.perform_update("demo", make_check(server, plugins), "2")
    assert (plugins / "demo_plugin.py").read_text() == NEW


def test_matching_sha256_is_accepted(server: FakeServer, plugins: Path, client: HttpClient) -> None:
    """A download whose digest matches ``sha256`` is installed."""
    server.route("/raw/demo_plugin.py", Reply(200, NEW))
    digest = hashlib.sha256(NEW.encode()).hexdigest().upper()
    single_file_plugin.perform_update(
        "demo", make_check(server, plugins, sha256=digest), "2", http=client
    )
    assert (plugins / "demo_plugin.py").read_text() == NEW


@pytest.mark.parametrize(
    ("reply", "extra", "message"),
    [
        (
            Reply(
                200, "<!DOCTYPE html><html><body>Login</body></html>", {"Content-Type": "text/html"}
            ),
            {},
            "not a Python file",
        ),
        (Reply(200, "def broken(:\n"), {}, "not a Python file"),
        (Reply(200, b"VALUE = 1\x00\x00"), {}, "not a Python file"),
        (Reply(200, "  \n"), {}, "empty"),
        (Reply(200, NEW), {"sha256": "0" * 64}, "does not match"),
        (Reply(200, NEW), {"max_size": 10}, "more than 10"),
        (Reply(404, "not found"), {}, "HTTP 404"),
        (Reply(500, "oops"), {}, "HTTP 500"),
    ],
)
def test_bad_downloads_leave_the_old_file_untouched(
    server: FakeServer,
    plugins: Path,
    client: HttpClient,
    reply: Reply,
    extra: dict[str, Any],
    message: str,
) -> None:
    """Non-Python content, digest mismatch, oversize or HTTP errors fail and change nothing."""
    server.route("/raw/demo_plugin.py", reply)
    before = folder_state(plugins)
    with pytest.raises(UpdateError, match=message):
        single_file_plugin.perform_update(
            "demo", make_check(server, plugins, **extra), "2", http=client
        )
    assert folder_state(plugins) == before


def test_oversized_default_limit(server: FakeServer, plugins: Path, client: HttpClient) -> None:
    """Without ``max_size`` a download over 2 MB is refused."""
    body = "# padding\n" * (single_file_plugin.DEFAULT_MAX_SIZE // 10 + 1)
    server.route("/raw/demo_plugin.py", Reply(200, body))
    with pytest.raises(UpdateError, match="more than 2097152"):
        single_file_plugin.perform_update("demo", make_check(server, plugins), "2", http=client)
    assert (plugins / "demo_plugin.py").read_text() == OLD


@pytest.mark.parametrize(
    "path",
    [
        "/raw/../evil.py",
        "/raw/%2e%2e%2fevil.py",
        "/raw/%2e%2e/evil.py",
        "/raw/..%5cevil.py",
        "/raw/x.sh",
        "/raw/..",
        "/raw/",
        "/raw/.hidden.py",
        "/raw/evil.py;rm",
    ],
)
def test_unsafe_file_names_are_refused_without_download(
    server: FakeServer, plugins: Path, client: HttpClient, path: str
) -> None:
    """A URL whose last segment is not a plain ``*.py`` name is refused before any request."""
    server.route(path, Reply(200, NEW))
    before = folder_state(plugins)
    check = make_check(server, plugins, path=path)
    assert not single_file_plugin.can_perform_update("demo", check)
    with pytest.raises(ConfigurationInvalid, match=r"checks\.demo\.url: single_file_plugin url"):
        single_file_plugin.perform_update("demo", check, "2", http=client)
    assert server.hits() == []
    assert folder_state(plugins) == before


def test_hanging_server_times_out(server: FakeServer, plugins: Path, client: HttpClient) -> None:
    """A server that never answers gives an UpdateError within the timeout; file untouched."""
    server.route("/raw/demo_plugin.py", Reply(200, NEW, delay=30))
    started = time.monotonic()
    with pytest.raises(UpdateError, match="downloading the plugin file failed"):
        single_file_plugin.perform_update("demo", make_check(server, plugins), "2", http=client)
    assert time.monotonic() - started < 15
    assert (plugins / "demo_plugin.py").read_text() == OLD


def test_connection_refused_is_an_update_error(plugins: Path, client: HttpClient) -> None:
    """A closed port becomes an UpdateError wrapping the network error."""
    dead = FakeServer().start()
    url = dead.url
    dead.stop()
    check = {"url": url + "/demo_plugin.py", "plugin_folder": str(plugins)}
    with pytest.raises(UpdateError, match="connection failed"):
        single_file_plugin.perform_update("demo", check, "2", http=client)


def test_offline_is_refused(server: FakeServer, plugins: Path) -> None:
    """Offline the method cannot update and raises CannotUpdateOffline without a request."""
    check = make_check(server, plugins)
    assert not single_file_plugin.can_perform_update("demo", check, online=False)
    with pytest.raises(CannotUpdateOffline):
        single_file_plugin.perform_update("demo", check, "2", online=False)
    assert server.hits() == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"plugin_folder": None}, "needs a plugin_folder"),
        ({"plugin_folder": "/no/such/folder"}, "not an existing folder"),
        ({"url": None}, "needs a 'url'"),
        ({"url": "file:///etc/demo_plugin.py"}, "must be http"),
        ({"max_size": "big"}, "max_size"),
    ],
)
def test_broken_config_is_an_update_error(
    server: FakeServer, plugins: Path, overrides: dict[str, Any], message: str
) -> None:
    """Missing folder or URL, a non-http URL or a bad max_size are refused without a request."""
    server.route("/raw/demo_plugin.py", Reply(200, NEW))
    check = {**make_check(server, plugins), **overrides}
    with pytest.raises(ConfigurationInvalid, match=message):
        single_file_plugin.perform_update("demo", check, "2")
    assert server.hits() == []
    assert (plugins / "demo_plugin.py").read_text() == OLD


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"sha256": "not-a-digest"}, "sha256"),
        ({"max_size": -1}, "max_size"),
        ({"url": "https://example.com/raw/"}, "url"),
    ],
)
def test_validate_reports_what_perform_update_refuses(
    server: FakeServer, plugins: Path, tmp_path: Path, overrides: dict[str, Any], key: str
) -> None:
    """A bad single_file_plugin key is reported by validate() and refused by perform_update
    with the same error, without a request and with the installed file untouched."""
    server.route("/raw/demo_plugin.py", Reply(200, NEW))
    check = {
        "type": "always_current",
        "method": "single_file_plugin",
        **make_check(server, plugins),
        **overrides,
    }
    problem, effective = validated(tmp_path, "demo", check)
    assert problem.startswith(f"checks.demo.{key}: ")
    assert not single_file_plugin.can_perform_update("demo", effective)
    with pytest.raises(ConfigurationInvalid) as info:
        single_file_plugin.perform_update("demo", effective, "2")
    assert str(info.value) == problem
    assert server.hits() == []
    assert (plugins / "demo_plugin.py").read_text() == OLD
