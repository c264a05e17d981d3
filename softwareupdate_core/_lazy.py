"""Lazy references to built-in modules, so start-up imports only what a round uses."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import attrs


@attrs.frozen
class LazyModule:
    """Stands in for a module; attribute access imports it on first use."""

    module_name: str
    #: The module's ``CAPABILITIES``, answered without importing it (None: import to read).
    capabilities: Any = None

    def load(self) -> ModuleType:
        return importlib.import_module(self.module_name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "CAPABILITIES" and self.capabilities is not None:
            return self.capabilities
        return getattr(self.load(), name)
