"""Rate limits: what a server's rate-limit headers say, and the error when one is exhausted.

The client refuses to send into an exhausted limit and turns a rate-limited answer into a
:class:`~softwareupdate_core.exceptions.RateLimitCheckError` naming when it resets.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Optional

import attrs

from ..exceptions import RateLimitCheckError

#: Longest wait a rate-limit header may impose, in seconds; later resets count as this.
MAX_RATE_LIMIT_WAIT = 24 * 60 * 60.0


@attrs.frozen
class RateLimit:
    """What a server said about its rate limit."""

    limit: Optional[int] = None
    remaining: Optional[int] = None
    #: Epoch seconds when the limit refills.
    reset: Optional[float] = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], now: float) -> RateLimit:
        """Read GitHub's ``X-RateLimit-*``, GitLab/Forgejo ``RateLimit-*`` and ``Retry-After``."""

        def number(*names: str) -> Optional[float]:
            for name in names:
                raw = headers.get(name)
                if raw is None:
                    continue
                try:
                    value = float(str(raw).strip())
                except ValueError:
                    continue
                if math.isfinite(value):  # "nan"/"inf" parse as floats but mean nothing
                    return value
            return None

        limit = number("X-RateLimit-Limit", "RateLimit-Limit")
        remaining = number("X-RateLimit-Remaining", "RateLimit-Remaining")
        reset = number("X-RateLimit-Reset", "RateLimit-Reset")
        if reset is not None and reset < 10**9:
            # RateLimit-Reset in the IETF draft (GitLab uses epoch, Forgejo seconds)
            reset = now + reset
        retry_after = headers.get("Retry-After")
        if retry_after is not None:
            retry_at = _parse_retry_after(str(retry_after), now)
            if retry_at is not None:
                reset = max(reset or 0.0, retry_at)
        if reset is not None:  # a reset in the year 3000 must not block a host for good
            reset = min(reset, now + MAX_RATE_LIMIT_WAIT)
        return cls(
            limit=None if limit is None else int(limit),
            remaining=None if remaining is None else int(remaining),
            reset=reset,
        )

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


def _parse_retry_after(value: str, now: float) -> Optional[float]:
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return now + max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def looks_rate_limited(status: int, rate: RateLimit, body: bytes) -> bool:
    if status == 429 or rate.exhausted:
        return True
    lowered = body[:2000].lower()
    return b"rate limit" in lowered or b"ratelimit" in lowered


def rate_limit_error(
    host: str, rate: RateLimit, *, status: Optional[int], api_message: str, sent: bool = True
) -> RateLimitCheckError:
    when = ""
    if rate.reset is not None:
        # a server may send any number: one beyond the platform's time range is not shown
        with contextlib.suppress(OverflowError, OSError, ValueError):
            when = " until " + time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(rate.reset))
    lead = "rate limit exhausted" if sent else "rate limit exhausted, request not sent"
    return RateLimitCheckError(
        f"{host}: {lead}{when}"
        + (f" ({rate.remaining}/{rate.limit} left)" if rate.limit is not None else ""),
        status=status,
        api_message=api_message,
        remaining=rate.remaining,
        limit=rate.limit,
        reset=rate.reset,
    )
