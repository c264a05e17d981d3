"""The small records of the HTTP client: request keys, pending requests, counters.

Split from :mod:`softwareupdate_core.http.client`, which re-exports :class:`RequestKey` and
:class:`RequestStats`.
"""

from __future__ import annotations

import threading
from typing import Optional

import attrs

from .response import HttpResponse


@attrs.frozen
class RequestKey:
    """Identifies identical requests within one round."""

    method: str
    url: str
    #: Not in the repr: header values may carry tokens.
    headers: tuple[tuple[str, str], ...] = attrs.field(repr=False)


@attrs.define
class Pending:
    """One request of a round: its answer or error, once done (the others wait for it)."""

    done: threading.Event = attrs.field(factory=threading.Event)
    response: Optional[HttpResponse] = None
    error: Optional[BaseException] = None


@attrs.define
class RequestStats:
    """Counts of what the client did, for reports and benchmarks."""

    sent: int = 0
    not_modified: int = 0
    deduplicated: int = 0
    refused_rate_limited: int = 0
    #: Answers another host of the farm fetched, read from the shared cache (no request sent).
    shared_answers: int = 0
    #: Batched GraphQL requests, the points they cost, and the points left after the last
    #: (GitHub's GraphQL budget is apart from the REST quota).
    graphql_requests: int = 0
    graphql_points: int = 0
    graphql_remaining: Optional[int] = None


__all__ = ["Pending", "RequestKey", "RequestStats"]
