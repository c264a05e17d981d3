"""The shared HTTP client against a real server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from softwareupdate_core.exceptions import (
    ApiCheckError,
    CheckError,
    NetworkError,
    RateLimitCheckError,
)
from softwareupdate_core.http import HttpClient, MemoryValidatorStore, parse_link_header
from tests.httpserver import FakeServer, Reply, Request

TOKEN = "ghp_s3cr3tT0kenValue"


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(timeout=(2, 5)) as http:
        yield http


def _etag_handler(body: str, etag: str = '"v1"') -> object:
    def handle(request: Request) -> Reply:
        if request.header("If-None-Match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(200, body, {"ETag": etag, "Content-Type": "application/json"})

    return handle


def test_conditional_get_reuses_stored_answer_on_304(
    server: FakeServer, client: HttpClient
) -> None:
    """A second conditional GET sends If-None-Match and returns the stored body on 304."""
    server.route("/doc", _etag_handler('{"a": 1}'))
    first = client.get(f"{server.url}/doc")
    second = client.get(f"{server.url}/doc")
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.json() == {"a": 1} and second.status == 200
    sent = [r.header("If-None-Match") for r in server.hits("/doc")]
    assert sent == [None, '"v1"']
    assert client.stats.not_modified == 1


def test_last_modified_validator_is_sent_back(server: FakeServer, client: HttpClient) -> None:
    """A Last-Modified answer makes the next request carry If-Modified-Since."""
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"

    def handle(request: Request) -> Reply:
        if request.header("If-Modified-Since") == stamp:
            return Reply(304)
        return Reply(200, "body", {"Last-Modified": stamp})

    server.route("/lm", handle)
    client.get(f"{server.url}/lm")
    again = client.get(f"{server.url}/lm")
    assert again.from_cache and again.text == "body"


def test_unconditional_get_sends_no_validators(server: FakeServer, client: HttpClient) -> None:
    """With conditional=False no stored validator is sent and nothing comes from the store."""
    server.route("/doc", _etag_handler("{}"))
    client.get(f"{server.url}/doc")
    again = client.get(f"{server.url}/doc", conditional=False)
    assert not again.from_cache
    assert server.hits("/doc")[1].header("If-None-Match") is None


def test_validators_live_in_the_given_store(server: FakeServer) -> None:
    """Validators go through the ValidatorStore, so another client with that store reuses them."""
    server.route("/doc", _etag_handler('"x"'))
    store = MemoryValidatorStore()
    with HttpClient(validators=store) as one:
        one.get(f"{server.url}/doc")
    with HttpClient(validators=store) as two:
        assert two.get(f"{server.url}/doc").from_cache
    answer = store.get_answer(f"{server.url}/doc")
    assert answer is not None and answer.etag == '"v1"'


def test_identical_requests_in_a_round_are_sent_once(
    server: FakeServer, client: HttpClient
) -> None:
    """Two threads asking for the same URL within one round cause one request to the server."""
    server.route("/slow", Reply(200, "shared", delay=0.3))
    results: list[str] = []
    start = threading.Barrier(2)

    def fetch() -> None:
        start.wait()
        results.append(client.get(f"{server.url}/slow").text)

    with client.round():
        threads = [threading.Thread(target=fetch) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == ["shared", "shared"]
    assert len(server.hits("/slow")) == 1
    assert client.stats.deduplicated == 1


def test_requests_outside_a_round_are_not_shared(server: FakeServer, client: HttpClient) -> None:
    """Without a round (or after it ended) every call reaches the server."""
    server.route("/x", Reply(200, "x"))
    with client.round():
        client.get(f"{server.url}/x")
    client.get(f"{server.url}/x")
    assert len(server.hits("/x")) == 2


def test_round_keeps_requests_with_other_credentials_apart(
    server: FakeServer, client: HttpClient
) -> None:
    """Within a round, the same URL with different Authorization headers is asked twice."""
    server.route("/x", Reply(200, "x"))
    with client.round():
        client.get(f"{server.url}/x", headers={"Authorization": "Bearer a"})
        client.get(f"{server.url}/x", headers={"Authorization": "Bearer b"})
    assert len(server.hits("/x")) == 2


def test_per_host_limit_bounds_requests_in_flight(server: FakeServer) -> None:
    """With per_host_limit=2, six parallel requests never have more than two in flight."""
    server.latency = 0.2
    for n in range(6):
        server.route(f"/p{n}", Reply(200, str(n)))
    start = threading.Barrier(6)
    with HttpClient(per_host_limit=2) as http:

        def fetch(n: int) -> None:
            start.wait()
            http.get(f"{server.url}/p{n}")

        threads = [threading.Thread(target=fetch, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(server.hits()) == 6
    assert 1 <= server.max_in_flight <= 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://a/x?page=2>; rel="next"', {"next": "https://a/x?page=2"}),
        (
            '<https://a/?page=2>; rel="next", <https://a/?page=9>; rel="last"',
            {"next": "https://a/?page=2", "last": "https://a/?page=9"},
        ),
        ("<https://a/2>; rel=next", {"next": "https://a/2"}),
        (
            '<https://a/2>; title="x"; rel="next prev"',
            {"next": "https://a/2", "prev": "https://a/2"},
        ),
        ("", {}),
        ('https://a/2; rel="next"', {}),
        ("<https://a/2>", {}),
        ("garbage,,;;<", {}),
    ],
)
def test_parse_link_header(header: str, expected: dict[str, str]) -> None:
    """Link headers give {rel: url}; malformed parts are skipped rather than fatal."""
    assert parse_link_header(header) == expected


def test_next_link_of_a_response(server: FakeServer, client: HttpClient) -> None:
    """HttpResponse.next_link reads rel="next" from the Link header."""
    server.route("/l", Reply(200, "[]", {"Link": f'<{server.url}/l?page=2>; rel="next"'}))
    assert client.get(f"{server.url}/l").next_link == f"{server.url}/l?page=2"


def test_403_with_exhausted_quota_is_a_rate_limit_error(
    server: FakeServer, client: HttpClient
) -> None:
    """A 403 with X-RateLimit-Remaining: 0 raises RateLimitCheckError with remaining and reset."""
    headers = {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1893456000",
    }
    server.route("/api", Reply.json({"message": "API rate limit exceeded"}, 403, headers))
    with (
        HttpClient(clock=lambda: 1893456000 - 3600) as http,
        pytest.raises(RateLimitCheckError) as caught,
    ):
        http.get(f"{server.url}/api")
    error = caught.value
    assert (error.status, error.remaining, error.limit, error.reset) == (403, 0, 60, 1893456000)
    assert error.code == "ratelimit" and "API rate limit exceeded" in error.api_message


def test_exhausted_quota_is_not_asked_again_but_another_token_is(
    server: FakeServer, client: HttpClient
) -> None:
    """After an exhausted answer the same credentials are refused locally, other ones still go."""
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1893456000"}
    server.route("/api", Reply.json({"message": "rate limit"}, 403, headers))
    with pytest.raises(RateLimitCheckError):
        client.get(f"{server.url}/api")
    with pytest.raises(RateLimitCheckError, match="request not sent"):
        client.get(f"{server.url}/api")
    assert len(server.hits("/api")) == 1
    with pytest.raises(RateLimitCheckError):
        client.get(f"{server.url}/api", headers={"Authorization": "Bearer other"})
    assert len(server.hits("/api")) == 2


def test_429_with_retry_after_is_a_rate_limit_error_and_not_retried(server: FakeServer) -> None:
    """A 429 with Retry-After gives reset = now + Retry-After and is sent exactly once."""
    server.route("/api", Reply.json({"message": "slow down"}, 429, {"Retry-After": "60"}))
    with HttpClient(clock=lambda: 1000.0) as http, pytest.raises(RateLimitCheckError) as caught:
        http.get(f"{server.url}/api")
    assert caught.value.reset == 1060.0 and caught.value.status == 429
    assert len(server.hits("/api")) == 1


@pytest.mark.parametrize("status", [400, 404, 422, 500, 502, 503])
def test_error_status_is_an_api_error_with_message(
    server: FakeServer, client: HttpClient, status: int
) -> None:
    """A 4xx/5xx answer raises ApiCheckError carrying the status and the API's message."""
    server.route("/api", Reply.json({"message": f"problem {status}"}, status))
    with pytest.raises(ApiCheckError) as caught:
        client.get(f"{server.url}/api")
    assert type(caught.value) is ApiCheckError
    assert caught.value.status == status
    assert caught.value.api_message == f"problem {status}"
    assert str(status) in str(caught.value)
    assert len(server.hits("/api")) == 1


def test_html_error_page_is_named_as_such(server: FakeServer, client: HttpClient) -> None:
    """An HTML error page becomes an ApiCheckError saying it was HTML, not a dump of the page."""
    page = "<!DOCTYPE html><html><body>" + "x" * 5000 + "</body></html>"
    server.route("/api", Reply(502, page, {"Content-Type": "text/html"}))
    with pytest.raises(ApiCheckError, match="HTML page") as caught:
        client.get(f"{server.url}/api")
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    "body", ['{"tag_name": "1.0"', "<html>oops</html>", "\xff\xfe", "[" * 100_000 + "]" * 100_000]
)
def test_undecodable_json_is_a_check_error(
    server: FakeServer, client: HttpClient, body: str
) -> None:
    """Truncated, non-JSON or absurdly nested bodies raise CheckError when read as JSON."""
    server.route("/api", Reply(200, body, {"Content-Type": "application/json"}))
    response = client.get(f"{server.url}/api")
    with pytest.raises(CheckError, match=r"not valid JSON|nested too deeply"):
        response.json()


def test_json_of_the_wrong_shape_is_a_check_error(server: FakeServer, client: HttpClient) -> None:
    """json_object/json_list name what was expected when the JSON has another shape."""
    server.route("/api", [1, 2])
    response = client.get(f"{server.url}/api")
    assert response.json_list() == [1, 2]
    with pytest.raises(CheckError, match="expected release info, got a JSON list"):
        response.json_object("release info")


def test_hanging_server_gives_network_error_within_the_timeout(server: FakeServer) -> None:
    """A server that never answers raises NetworkError after the read timeout, not never."""
    server.route("/hang", Reply(200, "late", delay=60))
    started = time.monotonic()
    with HttpClient(timeout=(1, 1)) as http, pytest.raises(NetworkError, match="timeout"):
        http.get(f"{server.url}/hang")
    assert time.monotonic() - started < 15


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused_is_a_network_error(client: HttpClient) -> None:
    """Nobody listening raises NetworkError with the reason, and the code 'network'."""
    with pytest.raises(NetworkError, match="connection failed") as caught:
        client.get(f"http://127.0.0.1:{_closed_port()}/x")
    assert caught.value.code == "network"


def test_non_http_urls_are_refused(client: HttpClient) -> None:
    """Only http(s) URLs are fetched; others raise CheckError without the URL's secrets."""
    with pytest.raises(CheckError) as caught:
        client.get(f"file://user:{TOKEN}@host/etc/passwd?token={TOKEN}")
    assert TOKEN not in str(caught.value)


def test_secrets_stay_out_of_messages_and_reprs(server: FakeServer, client: HttpClient) -> None:
    """Tokens in headers, user info or query strings appear in no exception message or repr."""
    server.route("/api", Reply.json({"message": "Bad credentials"}, 401))
    with client.round():
        with pytest.raises(ApiCheckError) as api_error:
            client.get(
                f"{server.url}/api?access_token={TOKEN}",
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
        assert TOKEN not in repr(client)
    with pytest.raises(NetworkError) as network_error:
        client.get(f"http://user:{TOKEN}@127.0.0.1:{_closed_port()}/x?token={TOKEN}")
    for error in (api_error.value, network_error.value):
        assert TOKEN not in str(error) and TOKEN not in repr(error)
    assert server.hits("/api")[0].header("Authorization") == f"Bearer {TOKEN}"
