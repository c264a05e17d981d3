"""Untrusted text from servers and overlays, made safe to show on a terminal and to store.

Release names, release notes, GitLab descriptions, API error messages, overlay display names
and tags are written by whoever controls a server. Printed raw, an escape sequence clears the
screen, retitles the window, rings the bell or, with a carriage return or a newline, forges a
line of output or of the update log. :func:`clean_text` removes all of that; every text field
of the report and log models passes through it (their attrs converters), so a value is clean
before it is shown, cached or logged.

Values that are *used* (a tag compared, a version put into a command, a file name joined to a
folder, an overlay's requirement) are validated, not cleaned, by :func:`value_problem`: the
one validator for untrusted remote strings, with one length limit and one set of rules per
kind of use, called by the version checks, the updaters and the overlay loader alike.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

# ESC sequences: CSI (ESC [ params final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings
# (ESC P/X/^/_ ... ST), then any other escape (ESC, intermediates, final byte).
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?"
)

# Line and tab breaks (C0, NEL and the Unicode separators): each becomes one space, so a
# value stays on its line and cannot forge another.
_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")

# Everything else that is not text: C0 controls, DEL, C1 controls, and the bidirectional
# overrides that make a terminal show text in another order than it is.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# Quick test whether any of the above is present (the common case is clean text).
_ANY = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """``text`` without terminal control: escape sequences and control characters removed,
    line breaks and tabs turned into single spaces.

    >>> clean_text("v1.0\\x1b]0;pwned\\x07\\x1b[2J\\rUpdate done\\x07")
    'v1.0 Update done'
    """
    if not _ANY.search(text):
        return text
    text = _ESCAPE.sub("", text)
    text = _BREAKS.sub(" ", text)
    return _CONTROLS.sub("", text)


def clean_optional(text: object) -> Optional[str]:
    """:func:`clean_text` of ``str(text)``; None stays None (an attrs converter)."""
    return None if text is None else clean_text(str(text))


# -- validation -------------------------------------------------------------------------------

#: Longest remote value accepted (a tag, version, name, file name or requirement); real ones
#: are far shorter, and one limit for all keeps every path that takes a value in agreement.
MAX_LENGTH = 200

#: What a remote value is about to become, from loosest to strictest rule:
#: ``name`` (shown: a release or display name), ``version`` (compared and shown: a version or
#: tag as a server reports it), ``argument`` (one command-line argument or path part: a target
#: version in a pip requirement or an update script), ``branch`` (an argument that may hold
#: ``/``), ``file_name`` (a plain file name inside a folder), ``requirement`` (what an overlay
#: may give as ``pip``: an https URL or a plain requirement).
RemoteKind = Literal["name", "version", "argument", "branch", "file_name", "requirement"]

#: Characters an ``argument`` may contain; everything else is named in the problem.
_ARGUMENT_CHARS = re.compile(r"[A-Za-z0-9._+!~-]")

#: The common case, fine for every kind but ``file_name`` and ``requirement``: allowed
#: argument characters only, starting with a letter or digit (so no option, no path).
_PLAIN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._+!~-]{{0,{MAX_LENGTH - 1}}}")

#: A plain file name: letters, digits, ``_``, ``.`` and ``-``.
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]+")

#: A requirement an overlay may give: an https URL, or ``name==1.0`` / ``name=={target_version}``
#: starting with a letter or digit, without whitespace, path separators or a scheme.
_REQUIREMENT = re.compile(r"https://\S+|[A-Za-z0-9][^\s/\\:]*")

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


def value_problem(value: object, kind: RemoteKind = "argument") -> str:
    """What makes the untrusted ``value`` unusable as ``kind``, or an empty string.

    The one validator for values from servers and overlays. Every kind refuses a non-string,
    an empty value, more than :data:`MAX_LENGTH` characters and any control or invisible
    character; all but ``name`` refuse a leading ``-`` (it could pass for an option); the
    stricter kinds add their own allow-list.

    >>> value_problem("1.2.3"), value_problem("--index-url=x")
    ('', "it starts with '-' and could be read as a command-line option")
    >>> value_problem("v1;reboot")
    "it contains a command separator ';'"
    """
    if not isinstance(value, str):
        return f"it is {'nothing' if value is None else 'a ' + type(value).__name__}, not a string"
    if kind not in ("file_name", "requirement") and _PLAIN.fullmatch(value):
        return ""  # one regular expression instead of the walk below: most values are plain
    if not value:
        return "it is an empty string"
    if len(value) > MAX_LENGTH:
        return f"it is longer than {MAX_LENGTH} characters ({len(value)} characters)"
    for char in value:
        if char.isspace() and char != " ":
            return f"it contains whitespace other than a space (U+{ord(char):04X})"
        if not char.isprintable() and char != " ":
            return f"it contains the control character U+{ord(char):04X}"
    if kind == "name":
        return ""
    if value.startswith("-"):
        return "it starts with '-' and could be read as a command-line option"
    if kind == "version":
        return ""
    if kind == "requirement":
        return "" if _REQUIREMENT.fullmatch(value) else _requirement_problem(value)
    if " " in value:
        return "it contains whitespace"
    segments = re.split(r"[/\\]", value)
    if any(segment in ("..", ".") for segment in segments):
        return "it contains a '..' or '.' path segment"
    if kind == "file_name":
        if value.startswith("."):
            return "it starts with '.' (a hidden file)"
        bad = next((c for c in value if not _FILE_NAME.fullmatch(c)), None)
        return "" if bad is None else "it contains " + _DESCRIBED.get(bad, f"the character {bad!r}")
    if kind == "branch":
        if value.startswith("/"):
            return "it is an absolute path"
        if "" in segments:
            return "it contains an empty path segment"
    for char in value:
        if kind == "branch" and char == "/":
            continue
        if not _ARGUMENT_CHARS.fullmatch(char):
            return "it contains " + _DESCRIBED.get(char, f"the character {char!r}")
    return ""


def _requirement_problem(value: str) -> str:
    if " " in value:
        return "it contains whitespace"
    return "it is neither an https:// URL nor a plain requirement"


def shown_value(value: object) -> str:
    """A short, escaped rendering of an untrusted value for messages (no terminal control)."""
    text = value if isinstance(value, str) else repr(value)
    return ascii(text[:40]) + ("..." if len(text) > 40 else "")
