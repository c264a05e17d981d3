"""Reading an upstream answer: API error messages, validators sent and kept, 304 answers.

Split from :mod:`softwareupdate_core.http.client`.
"""

from __future__ import annotations

import json
from typing import Optional

from .conditional import StoredAnswer
from .ratelimit import RateLimit
from .response import Headers, HttpResponse

#: Response headers a stored answer keeps for a later 304 (lower case).
KEPT_HEADERS = frozenset({"content-type", "link", "etag", "last-modified"})


def api_message(body: bytes) -> str:
    """The error message an API put in its body: JSON ``message``/``error``, else a snippet."""
    text = body[:2000].decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # includes ints too long to convert
        data = None
    if isinstance(data, dict):
        for key in ("message", "error_description", "error"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value:
                return value[:300]
    if "<html" in text.lower():
        return "an HTML page instead of an API answer"
    return " ".join(text.split())[:200]


def add_validators(headers: dict[str, str], stored: Optional[StoredAnswer]) -> None:
    """Make the request conditional on ``stored``'s ETag/Last-Modified (when there is one)."""
    if stored is not None:
        if stored.etag:
            headers["If-None-Match"] = stored.etag
        if stored.last_modified:
            headers["If-Modified-Since"] = stored.last_modified


def not_modified(url: str, stored: StoredAnswer, headers: Headers, rate: RateLimit) -> HttpResponse:
    """The stored answer a ``304`` confirmed, with the fresh headers over the stored ones."""
    validators = {"ETag": stored.etag, "Last-Modified": stored.last_modified}
    merged = (
        Headers(stored.headers).updated({k: v for k, v in validators.items() if v}).updated(headers)
    )
    return HttpResponse(url, stored.status, merged, stored.body, True, rate)


def to_store(
    url: str, status: int, headers: Headers, body: bytes, now: float
) -> Optional[StoredAnswer]:
    """The answer to keep for conditional requests, or None when it has no validators."""
    etag = headers.get("ETag")
    last_modified = headers.get("Last-Modified")
    if not (etag or last_modified):
        return None
    return StoredAnswer(
        url=url,
        status=status,
        body=body,
        headers=headers.subset(KEPT_HEADERS),
        etag=etag,
        last_modified=last_modified,
        stored_at=now,
    )
