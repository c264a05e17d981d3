"""The httpheader check against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

from softwareupdate_core.exceptions import (
    ApiCheckError,
    CannotCheckOffline,
    CheckError,
    ConfigurationInvalid,
    RateLimitCheckError,
)
from softwareupdate_core.http import HttpClient
from softwareupdate_core.version_checks import httpheader
from tests.httpserver import FakeServer, Reply

ETAG = '"5f1e-abc"'


@pytest.fixture
def plugin_url(server: FakeServer) -> str:
    server.route(
        "/raw/plugin.py",
        Reply(
            200, "print('hi')\n", {"ETag": ETAG, "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"}
        ),
    )
    return server.url + "/raw/plugin.py"


def test_changed_header_is_an_update(server: FakeServer, plugin_url: str, http: HttpClient) -> None:
    """A header value different from ``current`` is an update, shown with the header name."""
    check = {"url": plugin_url, "header_name": "etag", "current": '"old"'}
    info, is_current = httpheader.get_latest("p", check, http=http)
    assert (info.remote.value, is_current) == (ETAG, False)
    assert (info.local.name, info.remote.name) == ('etag "old"', f"etag {ETAG}")
    hit = server.hits("/raw/plugin.py")[0]
    assert hit.method == "HEAD"
    assert hit.header("If-None-Match") is None


def test_same_header_is_current_with_get_and_header_url(
    server: FakeServer, plugin_url: str, http: HttpClient
) -> None:
    """header_url wins over url, header_method GET is used, and an equal value is current."""
    check = {
        "header_url": plugin_url,
        "url": "http://127.0.0.1:9/never",
        "header_method": "get",
        "header_name": "Last-Modified",
        "current": "Wed, 21 Oct 2015 07:28:00 GMT",
    }
    _info, is_current = httpheader.get_latest("p", check, http=http)
    assert is_current
    assert [r.method for r in server.hits()] == ["GET"]


def test_repeated_checks_are_never_conditional(
    server: FakeServer, plugin_url: str, http: HttpClient
) -> None:
    """Even with GET, a second check asks unconditionally, so the header itself comes back."""
    check = {"url": plugin_url, "header_name": "ETag", "header_method": "GET"}
    for _ in range(2):
        info, _ = httpheader.get_latest("p", check, http=http)
        assert info.remote.value == ETAG
    assert [r.header("If-None-Match") for r in server.hits()] == [None, None]


@pytest.mark.parametrize(("prefix", "shown"), [("", ETAG), ("Version", f"Version {ETAG}")])
def test_header_prefix(plugin_url: str, http: HttpClient, prefix: str, shown: str) -> None:
    """header_prefix replaces the header name in the display; empty means no prefix."""
    check = {"url": plugin_url, "header_name": "ETag", "header_prefix": prefix}
    info, is_current = httpheader.get_latest("p", check, http=http)
    assert info.remote.name == shown
    assert (info.local.name, is_current) == ("unknown", False)


def test_missing_header_names_it(plugin_url: str, http: HttpClient) -> None:
    """An answer without the header is a CheckError naming the header."""
    with pytest.raises(CheckError, match="X-Version"):
        httpheader.get_latest("p", {"url": plugin_url, "header_name": "X-Version"}, http=http)


def test_offline_raises_without_request(
    server: FakeServer, plugin_url: str, http: HttpClient
) -> None:
    """Offline the check raises CannotCheckOffline and sends nothing."""
    with pytest.raises(CannotCheckOffline):
        httpheader.get_latest(
            "p", {"url": plugin_url, "header_name": "ETag"}, online=False, http=http
        )
    assert server.hits() == []


@pytest.mark.parametrize(
    ("reply", "error", "fragment"),
    [
        (Reply(404, "<html>gone</html>", {"ETag": ETAG}), ApiCheckError, "HTTP 404"),
        (Reply(500, "oops"), ApiCheckError, "HTTP 500"),
        (Reply(429, "", {"Retry-After": "5"}), RateLimitCheckError, "rate limit"),
        (Reply(200, "", {"ETag": "-rf --force"}), CheckError, "ETag"),
        (Reply(200, "", {"ETag": "x" * 300}), CheckError, "300 characters"),
    ],
)
def test_bad_answers(
    server: FakeServer, http: HttpClient, reply: Reply, error: type[Exception], fragment: str
) -> None:
    """Error statuses, rate limits and hostile header values raise the matching error class."""
    server.route("/f", reply)
    with pytest.raises(error, match=fragment) as caught:
        httpheader.get_latest("p", {"url": server.url + "/f", "header_name": "ETag"}, http=http)
    assert type(caught.value) is error


@pytest.mark.parametrize(
    ("check", "key"),
    [
        ({"header_name": "ETag"}, "url"),
        ({"url": "http://127.0.0.1:9/x"}, "header_name"),
        (
            {"url": "http://127.0.0.1:9/x", "header_name": "ETag", "header_method": "POST"},
            "header_method",
        ),
        ({"url": "/relative/path", "header_name": "ETag"}, "url"),
        ({"header_url": "http://u:secret@", "header_name": "ETag"}, "header_url"),
    ],
)
def test_broken_config_names_the_key(http: HttpClient, check: dict[str, Any], key: str) -> None:
    """Missing URL/header, a non-http URL or a state-changing method raise ConfigurationInvalid."""
    with pytest.raises(ConfigurationInvalid, match=rf"checks\.p\.{key}") as caught:
        httpheader.get_latest("p", check, http=http)
    assert "secret" not in str(caught.value)
