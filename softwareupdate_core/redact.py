"""The one secret policy: what is hidden before text is shown, logged, stored or put in a repr.

Secrets reach text in three shapes, and all three are masked with ``***`` wherever text leaves
the library (reports, notes, error and refusal messages, the update log, the version cache,
``config show``, ``--debug`` logging, tracebacks, ``repr(Settings)``):

* the user information of a URL: ``https://user:TOKEN@host/`` (:func:`redact_urls`);
* a secret-looking query parameter: ``?token=...``, ``&private_token=...``, ``?sig=...``;
* the value under a secret-looking key (``password``, ``api_password``, ``token``, any key
  under ``credentials``) in a config (:func:`redact_value`).

Update output, failure reasons and the update log are read by people and stored on disk; a
requirement like ``pkg @ https://bob:TOKEN@host/pkg.zip`` must not carry its token there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

#: What replaces a secret.
MASK = "***"

#: Keys whose values are secrets, matched anywhere in the key, case-insensitively (``auth``
#: but not ``author``).
SECRET_KEY = re.compile(
    r"pass(?:word|wd)?|token|secret|api_?key|authori[sz]|auth(?!or)|credential|private_?key|cookie",
    re.I,
)

# A scheme (``https``, ``git+https``), ``://``, then the user information up to the last ``@``
# before the host ends (``/``, ``?``, ``#``, whitespace or a quote). Greedy on purpose: a
# password holding an unencoded ``@`` is hidden whole.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#\s\"'<>\\]*)@")

# A query parameter (after ``?``, ``&`` or ``;``): its name and its value.
_QUERY_PARAM = re.compile(r"(?P<name>[?&;][^=&#?;\s\"'<>]+=)(?P<value>[^&#;\s\"'<>]*)")

# Parameter names that are secrets besides the secret-looking keys: keys and signatures
# (``key``, ``apikey``, ``access_key``, ``sig``, ``X-Amz-Signature``), not ``monkey``.
_SECRET_PARAM = re.compile(r"(?:^|[_\-.])(?:key|apikey|sig|signature|credential)$", re.I)


def is_secret_key(key: object) -> bool:
    """Whether a config key (or a dotted key path) names a secret."""
    return bool(SECRET_KEY.search(str(key)))


def redact_urls(text: str, *, keep_user: bool = False) -> str:
    """``text`` with every URL secret masked: user information and secret query values.

    Scheme, host and path stay. With ``keep_user`` a ``user:password`` keeps its user name
    (``https://user:***@host``), for displays where the name helps; a lone token is always hidden.

    >>> redact_urls("pip install https://bob:s3cret@example.com/p.zip")
    'pip install https://***@example.com/p.zip'
    >>> redact_urls("https://bob:s3cret@example.com/", keep_user=True)
    'https://bob:***@example.com/'
    >>> redact_urls("https://host/api?private_token=s3cret&page=2")
    'https://host/api?private_token=***&page=2'
    """
    if "@" in text and "://" in text:

        def mask(match: re.Match[str]) -> str:
            user, colon, _ = match["userinfo"].partition(":")
            shown = f"{user}:{MASK}" if keep_user and colon and user else MASK
            return f"{match['scheme']}{shown}@"

        text = _USERINFO.sub(mask, text)
    if "=" in text and ("?" in text or "&" in text or ";" in text):
        text = _QUERY_PARAM.sub(_mask_param, text)
    return text


def _mask_param(match: re.Match[str]) -> str:
    """A query parameter with its value masked when its name says it is a secret."""
    name = match["name"][1:-1]
    if match["value"] and (is_secret_key(name) or _SECRET_PARAM.search(name)):
        return match["name"] + MASK
    return match[0]


def redact_text(text: str) -> str:
    """``text`` as it may be shown or stored: every URL secret masked (see :func:`redact_urls`)."""
    return redact_urls(text)


def redact_known(text: str, *secrets: Any) -> str:
    """``text`` with URL secrets and each of the known ``secrets`` (a password a library may
    echo in its own error message) masked.

    >>> redact_known("AUTH failed for pw123 at redis://:pw123@h/0", "pw123")
    'AUTH failed for *** at redis://***@h/0'
    """
    for secret in secrets:
        if isinstance(secret, str) and secret:
            text = text.replace(secret, MASK)
    return redact_text(text)


def redact_optional(text: Any) -> Any:
    """:func:`redact_text` for a string; anything else (None) unchanged."""
    return redact_text(text) if isinstance(text, str) else text


def redact_value(value: Any, key: object = "") -> Any:
    """A copy of a config value with every secret masked, for ``config show`` and reprs.

    Values under secret-looking keys become ``***``, strings lose their URL secrets, and keys
    lose theirs too (a Forgejo token may be keyed by an API URL). Objects that are not plain
    data (a ``python_checker`` callable) are shown by their repr.
    """
    if key and is_secret_key(key) and value not in (None, ""):
        return MASK
    if isinstance(value, Mapping):
        return {redact_text(str(k)): redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return repr(value)


def redact_credentials(credentials: Mapping[str, Any]) -> dict[str, Any]:
    """Global credentials as they may be shown: every value but the Bitbucket user name masked.

    The Forgejo tokens are keyed by forge name or API URL; a URL key loses its secrets too.
    """
    masked: dict[str, Any] = {}
    for name, value in credentials.items():
        if isinstance(value, Mapping):
            masked[name] = {redact_text(str(k)): MASK if v else v for k, v in value.items()}
        elif name == "bitbucket_user" or not value:
            masked[name] = value
        else:
            masked[name] = MASK
    return masked


def redacted_repr(value: Any) -> str:
    """The ``repr`` of :func:`redact_value` of ``value`` (an attrs ``repr=`` hook)."""
    return repr(redact_value(value))


class RedactingFilter(logging.Filter):
    """A logging filter that masks URL secrets in each record's final message.

    Put it on a handler: libraries below (urllib3 logs every request line with its query)
    log through it too. Exceptions attached to a record are formatted and masked as well.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            # formatters use a set exc_text as the traceback text
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        return True
