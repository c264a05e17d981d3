"""An example softwareupdate-core plugin: a check type and a target, through entry points.

The package is registered in ``pyproject.toml`` under the entry-point group
``softwareupdate_core``; the library then calls the ``@hookimpl`` functions below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from softwareupdate_core import hookimpl

from . import plaintext

__version__ = "0.3.0"

#: Where ``example_tool`` looks for its newest version unless the user's config says otherwise.
DEFAULT_URL = "https://example.com/example-tool/LATEST"


@hookimpl
def softwareupdate_version_checks() -> Mapping[str, Any]:
    """Offer the ``plaintext_version`` check type (a module with ``get_latest`` qualifies)."""
    return {"plaintext_version": plaintext}


@hookimpl
def softwareupdate_check_config() -> Mapping[str, Mapping[str, Any]]:
    """Provide the ``example_tool`` target, checked with the new type."""
    return {
        "example_tool": {
            "displayName": "Example tool",
            "displayVersion": __version__,
            "type": "plaintext_version",
            "url": DEFAULT_URL,
            "current": __version__,
        }
    }
