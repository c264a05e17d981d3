"""A Manager's memo: values its checks share across rounds, created once and kept per Manager.

Checks receive it as the ``memo`` keyword (with ``data_folder``), so what is costly to learn
and rarely changes (what a target interpreter supports) is learnt once per Manager, never in
module-level state.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

import attrs

T = TypeVar("T")


@attrs.define
class Memo:
    """Thread-safe values keyed by their owner's name (e.g. ``pypi_release.environments``)."""

    _values: dict[str, Any] = attrs.field(factory=dict, repr=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)

    def get_or_create(self, key: str, factory: Callable[[], T]) -> T:
        """The value kept under ``key``, made with ``factory()`` the first time."""
        with self._lock:
            if key not in self._values:
                self._values[key] = factory()
            value: T = self._values[key]
            return value
