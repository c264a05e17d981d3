"""Sending one request within its deadline, following redirects, and where credentials go.

Split from :mod:`softwareupdate_core.http.client`: ``Authorization``/``PRIVATE-TOKEN`` headers
and basic auth go along only to URLs below their base; a redirect elsewhere drops them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Optional
from urllib.parse import urljoin, urlsplit

from ..exceptions import NetworkError
from .response import Headers, host_of, safe_url
from .transport import MAX_BODY, RawAnswer, Transport, basic_auth
from .watchdog import DeadlineExceeded

#: Most redirects followed for one request.
MAX_REDIRECTS = 10
#: Headers that carry credentials: dropped on a redirect that leaves their scope.
_CREDENTIAL_HEADERS = frozenset({"authorization", "private-token"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def transfer(
    transport: Transport,
    timeout: tuple[float, float],
    method: str,
    url: str,
    headers: dict[str, str],
    auth: Optional[tuple[str, str]],
    credentials_base: Optional[str] = None,
    body: Optional[bytes] = None,
) -> tuple[int, Headers, bytes]:
    """Send, follow redirects and read the whole body within one deadline.

    The deadline is wall-clock time for connecting, redirects, headers and body together
    (``connect`` + ``read`` seconds), so a server sending a byte a second cannot hold a
    request longer than a silent one. The transport enforces it.
    """
    connect, read = timeout
    deadline = time.monotonic() + connect + read
    try:
        answer = follow(
            transport, timeout, method, url, headers, auth, deadline, credentials_base, body
        )
    except DeadlineExceeded as exc:
        raise NetworkError(
            f"{safe_url(url)}: no complete answer within {connect + read:g} seconds "
            f"(the connect + read timeout)",
            cause=exc,
        ) from None
    return answer.status, Headers(answer.headers), answer.body


def follow(
    transport: Transport,
    timeout: tuple[float, float],
    method: str,
    url: str,
    headers: dict[str, str],
    auth: Optional[tuple[str, str]],
    deadline: float,
    credentials_base: Optional[str],
    body: Optional[bytes] = None,
) -> RawAnswer:
    """Send ``url`` and follow its redirects; credentials stay within their base."""
    base = credentials_base or host_of(url)
    for _ in range(MAX_REDIRECTS + 1):
        sent = headers
        if auth is not None:
            sent = {**headers, "Authorization": basic_auth(*auth)}
        extra = {} if body is None else {"body": body}  # a transport may predate bodies
        answer = transport.send(
            method,
            url,
            sent,
            timeout=timeout,
            deadline=deadline,
            max_body=MAX_BODY,
            **extra,
        )
        location = answer.headers.get("Location") if answer.status in _REDIRECTS else None
        if not location:
            return answer
        following = urljoin(url, location)
        if not following.lower().startswith(("http://", "https://")):
            raise NetworkError(f"{safe_url(url)}: redirected to a URL that is not http(s)")
        if not below(following, base):
            headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
            auth = None
        if answer.status == 303 and method != "HEAD":
            method, body = "GET", None
        url = following
    raise NetworkError(f"{safe_url(url)}: more than {MAX_REDIRECTS} redirects")


def below(url: str, base: str) -> bool:
    """Whether ``url`` has the scheme, host and port of ``base`` and lies under its path."""
    try:
        a, b = urlsplit(url), urlsplit(base)
        ports = {"http": 80, "https": 443}
        same = (a.scheme.lower(), a.hostname, a.port or ports.get(a.scheme.lower())) == (
            b.scheme.lower(),
            b.hostname,
            b.port or ports.get(b.scheme.lower()),
        )
    except ValueError:
        return False
    prefix = b.path.rstrip("/")
    return same and (a.path == prefix or a.path.startswith(prefix + "/"))


def credential_secrets(headers: Mapping[str, str], auth: Optional[tuple[str, str]]) -> list[str]:
    """The credentials a request carries: credential header values and basic-auth parts."""
    secret = [v for k, v in headers.items() if k.lower() in ("authorization", "private-token")]
    if auth is not None:
        secret.extend(auth)
    return secret


def credential_fingerprint(headers: Mapping[str, str], auth: Optional[tuple[str, str]]) -> str:
    """A digest of the credentials a request carries ("" for none); rate limits are per token."""
    secret = credential_secrets(headers, auth)
    if not secret:
        return ""
    return hashlib.sha256("\0".join(secret).encode("utf-8", "replace")).hexdigest()[:16]
