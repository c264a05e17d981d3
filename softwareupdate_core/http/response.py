"""A read HTTP answer: status, kept headers, body, and the JSON and ``Link`` header readers.

JSON is decoded with limits (nesting depth, length of digit runs) so a hostile answer costs
its bytes and ends in a clear :class:`~softwareupdate_core.exceptions.CheckError`.

Why not ``requests.utils.parse_header_links``: a round imports neither requests nor urllib3
now, and importing requests for this 20-line parser would cost about 90 ms of CPU per process
start here (measured: the round's stdlib HTTP imports 67 ms, with ``requests.utils`` 155 ms).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Callable, Optional, Union
from urllib.parse import urlsplit

import attrs

from ..exceptions import CheckError
from .ratelimit import RateLimit


class Headers(Mapping[str, str]):
    """Response headers looked up without regard to case; the names keep their spelling."""

    __slots__ = ("_items",)

    def __init__(
        self, data: Union[Mapping[str, str], Iterable[tuple[str, str]], None] = None
    ) -> None:
        if isinstance(data, Headers):
            self._items: dict[str, tuple[str, str]] = dict(data._items)
            return
        # a Mapping by key: urllib3's items() repeats a header sent twice, [] joins them
        pairs = ((k, data[k]) for k in data) if isinstance(data, Mapping) else (data or ())
        items: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            key = name.lower()
            known = items.get(key)
            # a header sent twice reads as one, its values joined (RFC 9110, 5.3)
            items[key] = (name, value) if known is None else (known[0], f"{known[1]}, {value}")
        self._items = items

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"

    def subset(self, names: frozenset[str]) -> dict[str, str]:
        """The headers whose lower-case name is in ``names``, as a plain dict."""
        return {name: value for key, (name, value) in self._items.items() if key in names}

    def updated(self, other: Mapping[str, str]) -> Headers:
        """These headers with ``other``'s values put over them."""
        merged = Headers()
        merged._items = {**self._items, **Headers(other)._items}
        return merged


@attrs.frozen
class HttpResponse:
    """A read response; ``from_cache`` is true when a 304 let us reuse a stored answer."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    from_cache: bool = False
    rate_limit: RateLimit = attrs.field(factory=RateLimit)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self, what: str = "a JSON document") -> Any:
        """Decode the body as JSON, or raise CheckError saying what was expected.

        Answers nested too deeply for the decoder, or holding a run of digits longer than
        Python converts to a number (which would fail wherever a version is read from it),
        are refused with a CheckError too.
        """
        text = self._json_text(what)
        try:
            return json.loads(text)
        except RecursionError:
            raise self._json_error(what, "JSON nested too deeply to read") from None
        except ValueError:
            raise self._json_error(what) from None

    def json_items(self, what: str, limit: int) -> list[Any]:
        """The first ``limit`` items of a JSON list answer, decoded one item at a time.

        A page of releases may list far more items than asked for; only the ones used are
        turned into objects, so a huge page costs its bytes, not a hundred times as much.
        """
        text = self._json_text(what)
        at = _skip_space(text, 0)
        if not text.startswith("[", at):
            return self.json_list(what)  # not a list: the same errors as json_list
        decoder = json.JSONDecoder()
        items: list[Any] = []
        at = _skip_space(text, at + 1)
        if text.startswith("]", at):
            return items
        try:
            while len(items) < limit:
                item, at = decoder.raw_decode(text, at)
                items.append(item)
                at = _skip_space(text, at)
                if text.startswith("]", at):
                    break
                if not text.startswith(",", at):
                    raise ValueError("expected , or ]")
                at = _skip_space(text, at + 1)
        except RecursionError:
            raise self._json_error(what, "JSON nested too deeply to read") from None
        except ValueError:
            raise self._json_error(what) from None
        return items

    def _json_text(self, what: str) -> str:
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise self._json_error(what) from None
        digits = _max_int_digits()
        if digits and re.search(rf"(?<![0-9])[0-9]{{{digits + 1}}}", text):
            raise self._json_error(what, f"a number of more than {digits} digits")
        return text

    def _json_error(self, what: str, got: Optional[str] = None) -> CheckError:
        if got is None:
            kind = self.headers.get("Content-Type", "unknown content")
            got = f"{kind!s} that is not valid JSON"
        return CheckError(f"{safe_url(self.url)}: expected {what}, got {got}")

    def json_object(self, what: str = "a JSON object") -> dict[str, Any]:
        data = self.json(what)
        if not isinstance(data, dict):
            raise CheckError(
                f"{safe_url(self.url)}: expected {what}, got a JSON {type(data).__name__}"
            )
        return data

    def json_list(self, what: str = "a JSON list") -> list[Any]:
        data = self.json(what)
        if not isinstance(data, list):
            raise CheckError(
                f"{safe_url(self.url)}: expected {what}, got a JSON {type(data).__name__}"
            )
        return data

    @property
    def next_link(self) -> Optional[str]:
        """The ``rel="next"`` target of a ``Link`` header, if any."""
        return parse_link_header(self.headers.get("Link", "")).get("next")


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, at: int) -> int:
    """The index of the first non-whitespace character of ``text`` from ``at`` on."""
    match = _SPACE.match(text, at)
    return at if match is None else match.end()


def _max_int_digits() -> int:
    """The most digits Python turns into an int (0: no limit, or a Python without one)."""
    limit: Callable[[], int] = getattr(sys, "get_int_max_str_digits", lambda: 0)
    return limit()


def parse_link_header(value: str) -> dict[str, str]:
    """Parse an RFC 8288 ``Link`` header into ``{rel: url}``; malformed parts are skipped."""
    links: dict[str, str] = {}
    for part in value.split(","):
        section = part.strip().split(";")
        if len(section) < 2:
            continue
        target = section[0].strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        for param in section[1:]:
            name, _, rel = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for r in rel.strip().strip('"').split():
                    links.setdefault(r, target[1:-1])
    return links


def safe_url(url: str) -> str:
    """The URL without query string or user info, for messages (queries may carry tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}".lower()
