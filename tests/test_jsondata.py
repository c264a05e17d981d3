"""The jsondata check against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

from softwareupdate_core.exceptions import (
    ApiCheckError,
    CannotCheckOffline,
    CheckError,
    ConfigurationInvalid,
    NetworkError,
    RateLimitCheckError,
)
from softwareupdate_core.http import HttpClient
from softwareupdate_core.version_checks import jsondata
from tests.httpserver import FakeServer, Reply


def _check(server: FakeServer, **extra: Any) -> dict[str, Any]:
    return {"type": "jsondata", "jsondata": server.url + "/version.json", **extra}


@pytest.mark.parametrize(
    ("current", "expected"),
    [("1.2.3", True), ("1.2.4", False), ("1.2.3.0", False), (None, False)],
)
def test_any_change_is_an_update(
    server: FakeServer, http: HttpClient, current: Any, expected: bool
) -> None:
    """The target is current exactly when ``current`` equals the document's version string."""
    server.route("/version.json", {"version": "1.2.3", "extra": [1, 2]})
    info, is_current = jsondata.get_latest("p", _check(server, current=current), http=http)
    assert is_current is expected
    assert (info.local.value, info.remote.value) == (current, "1.2.3")


def test_offline_raises_without_request(server: FakeServer, http: HttpClient) -> None:
    """Offline the check raises CannotCheckOffline and sends nothing."""
    with pytest.raises(CannotCheckOffline):
        jsondata.get_latest("p", _check(server), online=False, http=http)
    assert server.hits() == []


@pytest.mark.parametrize(
    ("reply", "error", "fragment"),
    [
        (Reply.json({"version": "1.0"}, status=404), ApiCheckError, "HTTP 404"),
        (Reply(500, "<html><h1>Server Error</h1></html>"), ApiCheckError, "HTML page"),
        (
            Reply(200, "<html>captive portal</html>", {"Content-Type": "text/html"}),
            CheckError,
            "text/html that is not valid JSON",
        ),
        (Reply.json(["1.2.3"]), CheckError, 'expected a JSON object with a string "version"'),
        (Reply.json({"Version": "1.2.3"}), CheckError, "got nothing"),
        (Reply.json({"version": 1.2}), CheckError, "got a float"),
        (Reply.json({"version": {"major": 1}}), CheckError, "got a dict"),
        (Reply.json({"version": ""}), CheckError, "empty string"),
        (Reply.json({"version": "--pre"}), CheckError, "--pre"),
        (Reply.json({"version": "1.0\u0000; rm"}), CheckError, "expected"),
        (Reply(429, "rate limit exceeded"), RateLimitCheckError, "rate limit"),
    ],
)
def test_bad_answers(
    server: FakeServer, http: HttpClient, reply: Reply, error: type[Exception], fragment: str
) -> None:
    """Error statuses, non-JSON, wrong shapes and hostile versions raise what was expected."""
    server.route("/version.json", reply)
    with pytest.raises(error, match=fragment) as caught:
        jsondata.get_latest("p", _check(server, current="1.0"), http=http)
    assert type(caught.value) is error


def test_hanging_server_gives_up(server: FakeServer) -> None:
    """A server that never answers becomes NetworkError after the read timeout."""
    server.route("/version.json", Reply.json({"version": "1"}, delay=30))
    client = HttpClient(timeout=(1.0, 0.5))
    try:
        with pytest.raises(NetworkError):
            jsondata.get_latest("p", _check(server), http=client)
    finally:
        client.close()


@pytest.mark.parametrize(
    "check",
    [{}, {"jsondata": ""}, {"jsondata": "version.json"}, {"jsondata": ["http://x/v.json"]}],
)
def test_broken_config_names_the_key(http: HttpClient, check: dict[str, Any]) -> None:
    """A missing, relative or mistyped URL raises ConfigurationInvalid naming the key."""
    with pytest.raises(ConfigurationInvalid, match=r"checks\.p\.jsondata"):
        jsondata.get_latest("p", check, http=http)
