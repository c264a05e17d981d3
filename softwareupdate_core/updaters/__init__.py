"""Built-in update methods, one module per method, registered as a pluggy plugin.

Plugin authors may reuse these from a ``python_updater``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from .._lazy import LazyModule
from ..hookspecs import hookimpl

#: Update methods, in the order their implying key is looked for in a check config.
BUILTIN_METHODS: tuple[str, ...] = (
    "pip",
    "single_file_plugin",
    "update_script",
    "python_updater",
    "sleep_a_bit",
)


class BuiltinUpdaters:
    """Registers the built-in update methods through the public hook."""

    @hookimpl
    def softwareupdate_updaters(self) -> Mapping[str, Any]:
        return {name: LazyModule(f"{__name__}.{name}") for name in BUILTIN_METHODS}


BUILTIN_PLUGINS = (("softwareupdate_core.updaters", BuiltinUpdaters()),)


def select_method(check: Mapping[str, Any]) -> Optional[str]:
    """The update method of a check: ``method`` when set, else implied by its own key.

    ``pip``, ``update_script`` and ``python_updater`` imply their method by presence;
    ``single_file_plugin`` must be named in ``method`` because its ``url`` key is shared
    with check types such as ``httpheader``. Returns None when no method applies.
    """
    method = check.get("method")
    if method:
        return str(method)
    for key in ("pip", "update_script", "python_updater"):
        if check.get(key):
            return key
    return None
