"""Validation of values that come from a server before an update method uses them.

A target version is whatever a release API, a JSON document or a tag said. Before it is put
into a command line, a pip requirement or a path, it must not be able to become an option
(``--index-url``), a second command (``;``, ``$(...)``), or a way out of a folder (``..``).
The rules are those of :func:`softwareupdate_core.remote_values.value_problem` (the one
validator for untrusted remote strings); this module raises its refusal as an UpdateError.
"""

from __future__ import annotations

from ..exceptions import UpdateError
from ..remote_values import MAX_LENGTH, value_problem

__all__ = ["MAX_LENGTH", "check_remote_value"]


def check_remote_value(
    value: object,
    *,
    name: str = "target_version",
    allow_slash: bool = False,
) -> str:
    """Return ``value`` unchanged if it is safe to use as one command argument, else raise.

    ``allow_slash`` permits ``/`` inside the value (branch names such as ``rc/devel``) while
    still refusing ``..`` and ``.`` segments and a leading ``/``.

    :raises UpdateError: naming ``name``, the value (shortened) and what is wrong with it.
    """
    if not isinstance(value, str):
        raise UpdateError(f"{name} must be a string, got {type(value).__name__}")
    problem = value_problem(value, "branch" if allow_slash else "argument")
    if problem:
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise UpdateError(f"refusing {name} {shown!r}: {problem}", data={name: value})
    return value
