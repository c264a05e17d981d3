"""The values the farm's shared cache stores, and their versioned, tagged JSON form.

Split from :mod:`softwareupdate_core.store.shared_cache` (which re-exports the public names).
A stored value that does not read as what its key holds raises ``_Garbage``; the cache then
ignores it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from typing import Any, Optional

import attrs

from .shared_settings import AnswerKey

#: Version of the value format; a value of another version is ignored.
FORMAT_VERSION = 1
#: The only response headers an answer keeps (lower case): nothing that can carry a secret.
ANSWER_HEADERS = frozenset(
    {"content-type", "link", "date", "cache-control", "expires", "age", "content-language"}
)


# -- values --------------------------------------------------------------------------------


def _answer_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """Only the headers in :data:`ANSWER_HEADERS`, names in lower case."""
    kept = {str(k).lower(): str(v) for k, v in headers.items()}
    return {k: v for k, v in kept.items() if k in ANSWER_HEADERS}


@attrs.frozen
class CachedAnswer:
    """One HTTP answer as the farm shares it: status, body, a few headers and validators."""

    status: int
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_answer_headers)
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    #: Epoch seconds when it was fetched (the fetching host's clock).
    stored_at: float = 0.0


@attrs.frozen
class RateLimitState:
    """What an upstream host last said about a quota: requests left and when it refills."""

    remaining: int
    #: Epoch seconds when the quota refills.
    reset_at: float
    limit: Optional[int] = None
    updated_at: float = 0.0

    def exhausted(self, now: float) -> bool:
        """Whether no request may go out before the reset."""
        return self.remaining <= 0 and now < self.reset_at


@attrs.frozen
class SharedDocument:
    """A fetched document (an overlay) as the farm shares it."""

    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    stored_at: float = 0.0


@attrs.frozen
class Lease:
    """The right to ask upstream for one key, until released or ``ttl_ms`` runs out."""

    key: AnswerKey
    token: str = attrs.field(repr=False)
    ttl_ms: int


class _Garbage(ValueError):
    """A stored value that does not read as what its key holds."""


def _encode(kind: str, fields: Mapping[str, Any]) -> bytes:
    return json.dumps(
        {"type": kind, "version": FORMAT_VERSION, **fields},
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def _decode(kind: str, raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, bytes):
        raise _Garbage("not a string value")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Garbage("not JSON") from None
    if not isinstance(doc, dict) or doc.get("type") != kind:
        raise _Garbage(f"not a {kind} value")
    if doc.get("version") != FORMAT_VERSION:
        raise _Garbage(f"unknown version {doc.get('version')!r}")
    return doc


def _body_fields(body: bytes) -> dict[str, str]:
    try:
        return {"body": body.decode("utf-8"), "encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def _body(doc: Mapping[str, Any]) -> bytes:
    text, encoding = doc.get("body"), doc.get("encoding")
    if not isinstance(text, str):
        raise _Garbage("body is not a string")
    if encoding == "utf-8":
        return text.encode("utf-8")
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _Garbage("body is not base64") from None
    raise _Garbage("unknown body encoding")


def _number(doc: Mapping[str, Any], name: str) -> float:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Garbage(f"{name} is not a number")
    return float(value)


def _integer(doc: Mapping[str, Any], name: str) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Garbage(f"{name} is not an integer")
    return value


def _optional_text(doc: Mapping[str, Any], name: str) -> Optional[str]:
    value = doc.get(name)
    if value is not None and not isinstance(value, str):
        raise _Garbage(f"{name} is not a string")
    return value


def _answer_from(doc: Mapping[str, Any]) -> CachedAnswer:
    status = _integer(doc, "status")
    if not 100 <= status <= 599:
        raise _Garbage("status out of range")
    headers = doc.get("headers")
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise _Garbage("headers are not strings")
    return CachedAnswer(
        status,
        _body(doc),
        headers,
        etag=_optional_text(doc, "etag"),
        last_modified=_optional_text(doc, "last_modified"),
        stored_at=_number(doc, "stored_at"),
    )


def _rate_from(doc: Mapping[str, Any]) -> RateLimitState:
    limit = doc.get("limit")
    if limit is not None:
        limit = _integer(doc, "limit")
    return RateLimitState(
        remaining=_integer(doc, "remaining"),
        reset_at=_number(doc, "reset_at"),
        limit=limit,
        updated_at=_number(doc, "updated_at"),
    )


__all__ = [
    "ANSWER_HEADERS",
    "FORMAT_VERSION",
    "CachedAnswer",
    "Lease",
    "RateLimitState",
    "SharedDocument",
]
