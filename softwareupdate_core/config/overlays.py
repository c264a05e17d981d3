"""Check overlays: partial check configs published at ``check_overlay_url``.

The document is a JSON object mapping target names to partial configs (for example a new
repository for a plugin that moved). It is cached in the data folder for
``check_overlay_ttl`` minutes and re-fetched on ``force``. When the host is offline, the URL
is unreachable or the answer is malformed, the overlays are ignored and the reason logged;
a failed fetch is not retried before the TTL runs out (unless forced), so an unreachable
overlay server never slows every round down.

Overlays are remote data, so they may only set the keys in :data:`OVERLAY_KEYS`: those that
say where a component now lives and how it is shown (what OctoPrint publishes them for:
moved repositories and changed archive URLs). Anything that decides where requests and
credentials go (``api_url``), what runs (``command``, ``update_script``, ``pip_command``) or
which check or updater is used (``type``, ``method``) stays with the host, plugins and user.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional

import attrs

from ..exceptions import NetworkError, SoftwareUpdateError
from ..http import HttpClient
from ..http.response import HttpResponse
from ..remote_values import clean_text, value_problem
from ..store.documents import read_document, write_document
from .validation import validate_check

log = logging.getLogger(__name__)

OVERLAYS_FILE = "check_overlays.json"


@attrs.frozen
class OverlayDocument:
    """The last fetch attempt: its URL, when, the overlays it gave and why it failed, if it did."""

    url: str
    fetched_at: float
    overlays: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    error: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "fetched_at": self.fetched_at,
            "overlays": {k: dict(v) for k, v in self.overlays.items()},
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Optional[OverlayDocument]:
        if not isinstance(data, Mapping):
            return None
        try:
            overlays = parse_overlays(data.get("overlays") or {})
            return cls(
                str(data["url"]),
                float(data["fetched_at"]),
                overlays,
                None if data.get("error") is None else str(data["error"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


#: The keys an overlay may set. Repository coordinates (``user``, ``repo``, ``branch``,
#: ``package``, ``project``), the ``pip`` requirement or archive URL, how the target is shown
#: (``displayName``, ``release_notes``), its release channels, and switching it off
#: (``disabled``, ``compatible``), and retiring it: ``type`` set to one of
#: :data:`OVERLAY_TYPES` with ``current_version`` (the plugin repository's overlay retires
#: broken plugins so). Not ``api_url``/``web_url``/``index_url`` and friends: they decide where
#: credentials are sent.
OVERLAY_KEYS = frozenset(
    {
        "user",
        "repo",
        "branch",
        "package",
        "project",
        "displayName",
        "release_notes",
        "stable_branch",
        "prerelease_branches",
        "pip",
        "disabled",
        "compatible",
        "type",
        "current_version",
    }
)
#: The only check types an overlay may switch a target to: neither reaches the network.
OVERLAY_TYPES = frozenset({"always_current", "never_current"})

#: Overlay keys whose values are text shown to people (cleaned by :func:`.clean_text`).
_SHOWN_KEYS = frozenset({"displayName", "release_notes"})


def _value_problem(target: str, key: str, value: Any) -> Optional[str]:
    """Why an overlay's ``value`` for ``key`` is unusable, or None when it is fine."""
    if value is None:
        return f"{key} is null"
    try:
        validate_check(target, {key: value}, source="check overlay")
    except SoftwareUpdateError as exc:
        return str(exc)
    if key == "type" and value not in OVERLAY_TYPES:
        return f"type {str(value)[:60]!r} is not one of {', '.join(sorted(OVERLAY_TYPES))}"
    if key == "current_version" and (
        isinstance(value, bool) or not isinstance(value, (str, int, float))
    ):
        return f"current_version: expected a version string, got a {type(value).__name__}"
    if key == "pip" and isinstance(value, str):
        problem = value_problem(value, "requirement")
        if problem:
            return f"pip {value[:60]!r} refused: {problem}"
    return None


def sanitize_overlay(target: str, config: Mapping[Any, Any]) -> dict[str, Any]:
    """The allowed, well-typed keys of one target's overlay; the rest is dropped and logged."""
    kept: dict[str, Any] = {}
    refused: list[str] = []
    problems: list[str] = []
    for raw_key, value in config.items():
        key = str(raw_key)
        if key not in OVERLAY_KEYS:
            refused.append(key)
            continue
        problem = _value_problem(target, key, value)
        if problem is not None:
            problems.append(problem)
            continue
        # shown texts lose terminal control before they are stored or shown
        kept[key] = clean_text(value) if key in _SHOWN_KEYS and isinstance(value, str) else value
    if refused or problems:
        reasons = []
        if refused:
            # repr: key names are remote text and must not forge log lines
            reasons.append(f"not allowed in overlays: {', '.join(map(repr, sorted(refused)))}")
        reasons.extend(problems)
        log.warning("check overlay for %r: keys dropped (%s)", target, "; ".join(reasons))
    return kept


def parse_overlays(data: Any) -> dict[str, dict[str, Any]]:
    """Validate an overlay document; raises ValueError naming what is wrong.

    Each target's overlay keeps only its allowed, well-typed keys (:func:`sanitize_overlay`).
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"expected a JSON object of target -> config, got {type(data).__name__}")
    result: dict[str, dict[str, Any]] = {}
    for target, config in data.items():
        if not isinstance(config, Mapping):
            log.warning("check overlay for %r ignored: not an object", target)
            continue
        result[str(target)] = sanitize_overlay(str(target), config)
    return result


@attrs.define
class OverlaySource:
    """Fetches and caches the overlay document of one Manager."""

    path: Path
    http: HttpClient
    clock: Callable[[], float] = time.time
    _document: Optional[OverlayDocument] = None
    _loaded: bool = False
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def get(
        self, url: Optional[str], ttl_minutes: float, *, online: bool, force: bool = False
    ) -> Mapping[str, Mapping[str, Any]]:
        """The overlays to apply now: cached while valid, else fetched (when online)."""
        if not url:
            return {}
        with self._lock:
            if not self._loaded:
                self._document = OverlayDocument.from_dict(
                    read_document(self.path, "softwareupdate-core/check-overlays", self.clock)
                )
                self._loaded = True
            doc = self._document
            now = self.clock()
            valid = (
                doc is not None and doc.url == url and 0 <= now - doc.fetched_at < ttl_minutes * 60
            )
            if doc is not None and valid and not force:
                return doc.overlays
            if not online:
                log.info("check overlays from %s ignored: the host is offline", url)
                return doc.overlays if doc is not None and valid else {}
            doc = self._fetch(url, now, ttl_minutes * 60, force)
            self._document = doc
            try:
                write_document(self.path, "softwareupdate-core/check-overlays", doc.as_dict())
            except OSError as exc:
                log.warning("cannot store the check overlays in %s: %s", self.path, exc)
            return doc.overlays

    def _fetch(self, url: str, now: float, ttl: float, force: bool) -> OverlayDocument:
        shared = self.http.shared_cache
        try:
            body = self._shared_body(url, now, ttl, force)
            if body is not None:
                answer = HttpResponse(url, 200, {"Content-Type": "application/json"}, body)
            else:
                answer = self.http.get(url)
                if shared is not None:
                    from ..store.shared_cache import SharedDocument

                    document = SharedDocument(answer.body, now)
                    shared.put_overlay(url, document, ttl=max(ttl, 1.0))
            overlays = parse_overlays(answer.json("a JSON object of target -> check config"))
        except (SoftwareUpdateError, ValueError) as exc:
            # unreachable is routine (no internet, a host without OctoPrint's plugin repository);
            # a malformed answer is worth a warning
            level = logging.INFO if isinstance(exc, NetworkError) else logging.WARNING
            log.log(level, "check overlays from %s ignored: %s", url, exc)
            return OverlayDocument(url, now, {}, str(exc))
        log.debug("fetched check overlays for %d targets from %s", len(overlays), url)
        return OverlayDocument(url, now, overlays)

    def _shared_body(self, url: str, now: float, ttl: float, force: bool) -> Optional[bytes]:
        """The overlay document another farm host fetched within ``ttl`` (not when forced)."""
        shared = self.http.shared_cache
        if shared is None or force:
            return None
        doc = shared.get_overlay(url)
        if doc is None or not 0 <= now - doc.stored_at < ttl:
            return None
        return doc.body
