"""Untrusted text from servers and overlays, made safe to show on a terminal and to store.

Release names, release notes, GitLab descriptions, API error messages, overlay display names
and tags are written by whoever controls a server. Printed raw, an escape sequence clears the
screen, retitles the window, rings the bell or, with a carriage return or a newline, forges a
line of output or of the update log. :func:`clean_text` removes all of that; every text field
of the report and log models passes through it (their attrs converters), so a value is clean
before it is shown, cached or logged. Version *values* that reach commands are validated, not
cleaned, by :mod:`softwareupdate_core.updaters._hostile`.
"""

from __future__ import annotations

import re
from typing import Optional

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
