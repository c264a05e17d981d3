"""A farm host in its own process for the shared-cache tests (``-m tests.sharedcache_worker``).

``fetch REDIS_URL URL NEWER_THAN``: get ``URL`` through :meth:`SharedCache.single_flight`
(one upstream request for the whole farm) and print ``{"body": ...}`` as JSON.
``hold REDIS_URL URL TTL_MS``: take the lease of ``URL``, print ``leased``, then sleep until
killed (a holder that crashes mid-request).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Optional

import requests

from softwareupdate_core.store.shared_cache import AnswerKey, CachedAnswer, SharedCache


def _fetch(url: str) -> Optional[CachedAnswer]:
    response = requests.get(url, timeout=10)
    return CachedAnswer(
        response.status_code,
        response.content,
        dict(response.headers),
        etag=response.headers.get("ETag"),
        stored_at=time.time(),
    )


def main(argv: list[str]) -> int:
    mode, redis_url, url, arg = argv
    cache = SharedCache.from_settings({"url": redis_url, "timeout": 2.0})
    assert cache is not None
    key = AnswerKey.for_url(url)
    if mode == "fetch":
        answer = cache.single_flight(key, lambda: _fetch(url), newer_than=float(arg), wait=20.0)
        body = None if answer is None else answer.body.decode()
        print(json.dumps({"body": body}), flush=True)
        return 0
    if mode == "hold":
        lease = cache.lease(key, int(arg))
        print("leased" if lease is not None else "refused", flush=True)
        time.sleep(60)
        return 0
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
