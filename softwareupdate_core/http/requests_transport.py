"""A :class:`~.transport.Transport` over a ``requests.Session`` a host passes in.

``Manager(session=...)`` sends through it, so the host's own proxies, adapters and
authentication apply; the client around it still does redirects, conditional requests,
rate limits and the per-host limit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Optional

from ..exceptions import CheckError, NetworkError
from .response import safe_url
from .transport import _CHUNK, MAX_BODY, RawAnswer, _reason, _too_slow
from .watchdog import Watchdog, _response_socket

if TYPE_CHECKING:
    import requests


class RequestsTransport:
    """A :class:`Transport` over a ``requests.Session`` a host passed in (not closed here).

    The deadline covers the body; requests gives no hold on the socket while it waits for
    the headers, which the read timeout bounds instead.
    """

    def __init__(self, session: requests.Session) -> None:
        self.session = session
        self.watchdog = Watchdog()

    def close(self) -> None:
        self.watchdog.close()

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: tuple[float, float],
        deadline: float,
        max_body: int = MAX_BODY,
        body: Optional[bytes] = None,
    ) -> RawAnswer:
        import requests

        where = safe_url(url)
        budget = max(0.0, deadline - time.monotonic())
        entry = self.watchdog.watch(deadline)
        try:
            response = self.session.request(
                method,
                url,
                headers=dict(headers),
                data=body,
                timeout=timeout,
                stream=True,
                allow_redirects=False,
            )
            try:
                raw = getattr(response.raw, "_connection", None) or getattr(
                    response.raw, "connection", None
                )
                if raw is not None:
                    self.watchdog.attach(entry, raw)
                self.watchdog.attach_socket(entry, _response_socket(response.raw))
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(_CHUNK):
                    size += len(chunk)
                    if size > max_body:
                        raise CheckError(f"{where}: answer larger than {max_body} bytes")
                    chunks.append(chunk)
                if entry.expired:
                    raise _too_slow(where, budget)
                return RawAnswer(response.status_code, response.headers, b"".join(chunks))
            finally:
                response.close()
        except (requests.RequestException, OSError) as exc:
            if entry.expired:
                raise _too_slow(where, budget) from None
            if isinstance(exc, requests.Timeout):
                raise NetworkError(
                    f"{where}: no answer within the timeout ({timeout[1]:g} s)", cause=exc
                ) from None
            if isinstance(exc, requests.ConnectionError):
                raise NetworkError(
                    f"{where}: connection failed ({_reason(exc)})", cause=exc
                ) from None
            raise NetworkError(f"{where}: request failed ({_reason(exc)})", cause=exc) from None
        finally:
            self.watchdog.release(entry)
