"""HTTP for checks and updaters: the client, conditional requests, rate limits, the transport.

The names plugin authors import (``from softwareupdate_core.http import HttpClient``) are
re-exported here from the modules that hold them; ``requests`` is imported on the first
request, never by importing this package.
"""

from __future__ import annotations

from .client import (
    MAX_REDIRECTS,
    USER_AGENT,
    HttpClient,
    RequestKey,
    RequestStats,
    client_from,
)
from .conditional import MemoryValidatorStore, StoredAnswer, ValidatorStore
from .ratelimit import RateLimit
from .response import HttpResponse, host_of, parse_link_header
from .transport import MAX_BODY

__all__ = [
    "MAX_BODY",
    "MAX_REDIRECTS",
    "USER_AGENT",
    "HttpClient",
    "HttpResponse",
    "MemoryValidatorStore",
    "RateLimit",
    "RequestKey",
    "RequestStats",
    "StoredAnswer",
    "ValidatorStore",
    "client_from",
    "host_of",
    "parse_link_header",
]
