"""Validation of values that come from a server before an update method uses them.

A target version is whatever a release API, a JSON document or a tag said. Before it is put
into a command line, a pip requirement or a path, it must not be able to become an option
(``--index-url``), a second command (``;``, ``$(...)``), or a way out of a folder (``..``).
The rules are strict on purpose: real version strings (``1.2.3``, ``v2.0.0rc1``,
``1!2.0+local.7``, a commit hash) pass, anything else is refused with an explanation.
"""

from __future__ import annotations

import re
import unicodedata

from ..exceptions import UpdateError

#: Longest value accepted; real versions and commit hashes are far shorter.
MAX_LENGTH = 200

#: Characters a version may contain; everything else is named in the error.
_VERSION_CHARS = re.compile(r"[A-Za-z0-9._+!~-]")

_DESCRIBED = {
    ";": "a command separator ';'",
    "|": "a pipe '|'",
    "&": "an '&'",
    "$": "a '$' (variable or command substitution)",
    "`": "a backtick (command substitution)",
    "(": "a parenthesis",
    ")": "a parenthesis",
    "<": "a redirection '<'",
    ">": "a redirection '>'",
    "'": "a quote",
    '"': "a quote",
    "/": "a path separator '/'",
    "\\": "a path separator '\\'",
    "%": "a '%' (URL escape)",
    "#": "a '#' (URL fragment or comment)",
    "{": "a brace (placeholder)",
    "}": "a brace (placeholder)",
}


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
    problem = _problem(value, allow_slash=allow_slash)
    if problem:
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise UpdateError(f"refusing {name} {shown!r}: {problem}", data={name: value})
    return value


def _problem(value: str, *, allow_slash: bool) -> str:
    """What makes ``value`` unsafe, or an empty string when it is fine."""
    if not value:
        return "it is empty"
    if len(value) > MAX_LENGTH:
        return f"it is longer than {MAX_LENGTH} characters"
    if value.startswith("-"):
        return "it starts with '-' and could be read as a command-line option"
    for char in value:
        if char.isspace():
            return "it contains whitespace"
        if unicodedata.category(char).startswith("C"):
            return f"it contains the control character {char!r}"
    segments = re.split(r"[/\\]", value)
    if any(segment in ("..", ".") for segment in segments):
        return "it contains a '..' or '.' path segment"
    if allow_slash:
        if value.startswith("/"):
            return "it is an absolute path"
        if "" in segments:
            return "it contains an empty path segment"
    for char in value:
        if allow_slash and char == "/":
            continue
        if not _VERSION_CHARS.fullmatch(char):
            return "it contains " + _DESCRIBED.get(char, f"the character {char!r}")
    return ""
