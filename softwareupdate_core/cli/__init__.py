"""The ``softwareupdate`` command: check for updates, apply them, show the log and config.

``main`` is the console script. ``softwareupdate --version`` is answered before click is
imported, because a small machine (a Raspberry Pi) pays for every import at start-up; every
other invocation runs the click group :data:`cli` from :mod:`.app`, which imports the
Manager (requests, pluggy, yaml) only inside the commands that need it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

from .._version import __version__

if TYPE_CHECKING:
    from .app import EXIT_UPDATES_AVAILABLE, CliError, cli

__all__ = ["EXIT_UPDATES_AVAILABLE", "CliError", "cli", "main"]

_FROM_APP = frozenset({"EXIT_UPDATES_AVAILABLE", "CliError", "cli"})


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Entry point of the ``softwareupdate`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        sys.stdout.write(f"softwareupdate, version {__version__}\n")
        return
    from .app import cli

    cli.main(args=args, prog_name="softwareupdate")


def __getattr__(name: str) -> Any:
    # The click group and its constants, imported on first use (not for ``--version``).
    if name in _FROM_APP:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
