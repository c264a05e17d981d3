"""Hide credentials written into URLs (``https://user:token@host/``) before text is shown or kept.

Update output, failure reasons and the update log are read by people and stored on disk; a
requirement like ``pkg @ https://bob:TOKEN@host/pkg.zip`` must not carry its token there.
"""

from __future__ import annotations

import re

#: What replaces the user information of a URL.
MASK = "***"

# A scheme (``https``, ``git+https``), ``://``, then the user information up to the last ``@``
# before the host ends (``/``, ``?``, ``#``, whitespace or a quote). Greedy on purpose: a
# password holding an unencoded ``@`` is hidden whole.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#\s\"'<>\\]*)@")


def redact_urls(text: str, *, keep_user: bool = False) -> str:
    """``text`` with the user information of every ``scheme://userinfo@`` URL replaced by ``***``.

    Scheme, host and path stay. With ``keep_user`` a ``user:password`` keeps its user name
    (``https://user:***@host``), for displays where the name helps; a lone token is always hidden.

    >>> redact_urls("pip install https://bob:s3cret@example.com/p.zip")
    'pip install https://***@example.com/p.zip'
    >>> redact_urls("https://bob:s3cret@example.com/", keep_user=True)
    'https://bob:***@example.com/'
    """
    if "@" not in text or "://" not in text:
        return text

    def mask(match: re.Match[str]) -> str:
        user, colon, _ = match["userinfo"].partition(":")
        shown = f"{user}:{MASK}" if keep_user and colon and user else MASK
        return f"{match['scheme']}{shown}@"

    return _USERINFO.sub(mask, text)
