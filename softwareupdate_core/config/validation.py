"""Checking configuration values: the key types of a check config and their error messages.

:class:`Checker` checks one value at a key path and raises
:class:`~softwareupdate_core.exceptions.ConfigurationInvalid` naming the file and the path;
:func:`validate_check` checks every key of a check config this library knows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from ..exceptions import CheckError, ConfigurationInvalid
from ..redact import is_secret_key, redact_text
from ..versions import parse_version

# Expected kinds of values, by the description used in error messages.
A_BOOL = "a boolean"


A_STR = "a string"


A_NUMBER = "a number"


STR_OR_LIST = "a string or a list of strings"


A_MAPPING = "a mapping"


A_LIST = "a list"


A_VERSION = "a version string"


_ACCEPTS: Mapping[str, Callable[[Any], bool]] = {
    A_BOOL: lambda v: isinstance(v, bool),
    A_STR: lambda v: isinstance(v, str),
    A_NUMBER: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    A_MAPPING: lambda v: isinstance(v, Mapping),
    A_LIST: lambda v: isinstance(v, list),
    A_VERSION: lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
    STR_OR_LIST: lambda v: (
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
    ),
}


#: Keys a check config may carry and the kind each must have (others pass unchecked).
CHECK_KEY_TYPES: Mapping[str, str] = {
    "type": A_STR,
    "method": A_STR,
    "user": A_STR,
    "repo": A_STR,
    "branch": A_STR,
    "current": A_STR,
    "package": A_STR,
    "prerelease": A_BOOL,
    "prerelease_channel": A_STR,
    "prerelease_branches": A_LIST,
    "stable_branch": A_MAPPING,
    "release_compare": A_STR,
    "force_base": A_BOOL,
    "offline": A_BOOL,
    "unpublished_ok": A_BOOL,
    "force_reinstall": A_BOOL,
    "ignorable": A_BOOL,
    "disabled": A_BOOL,
    "compatible": A_BOOL,
    "api_url": A_STR,
    "api_user": A_STR,
    "api_password": A_STR,
    "web_url": A_STR,
    "index_url": A_STR,
    "forge": A_STR,
    "project": A_STR,
    "checkout_folder": A_STR,
    "update_folder": A_STR,
    "header_url": A_STR,
    "header_name": A_STR,
    "header_method": A_STR,
    "header_prefix": A_STR,
    "jsondata": A_STR,
    "url": A_STR,
    "pip": A_STR,
    "pip_command": STR_OR_LIST,
    "pip_cwd": A_STR,
    "command": STR_OR_LIST,
    "update_script": STR_OR_LIST,
    "pre_update_script": STR_OR_LIST,
    "post_update_script": STR_OR_LIST,
    "restart": A_STR,
    "displayName": A_STR,
    "displayVersion": A_STR,
    "release_notes": A_STR,
    "plugin_folder": A_STR,
    "sha256": A_STR,
    "verify": STR_OR_LIST,
    "timeout": A_NUMBER,
    "update_timeout": A_NUMBER,
    "max_pages": A_NUMBER,
    "current_version": A_VERSION,
}


#: Allowed ranges of the numbers a check config may carry: (lowest, highest, lowest excluded).
CHECK_NUMBER_RANGES: Mapping[str, tuple[float, float, bool]] = {
    "timeout": (0, 86400, True),
    "update_timeout": (0, 7 * 86400, True),
    "max_pages": (1, 1000, False),
}


def describe(value: Any) -> str:
    """A short description of a wrong value for error messages."""
    if value is None:
        return "nothing"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**60:
        return "a number of more than 60 digits"
    if isinstance(value, (str, int, float, bool)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"a {type(value).__name__}"


def _kind(value: Any) -> str:
    """What kind of value ``value`` is, without showing it (for secrets)."""
    kinds = ((bool, A_BOOL), ((int, float), "a number"), (str, A_STR), (Mapping, A_MAPPING))
    return next((words for kind, words in kinds if isinstance(value, kind)), describe(value))


@attrs.frozen
class Checker:
    """Validates values, naming the file and the full key path (``prefix.key``) on failure."""

    source: Optional[str]
    prefix: str = ""

    def path(self, key: str) -> str:
        """The full key path of ``key`` below this checker's prefix."""
        if not self.prefix:
            return key
        return f"{self.prefix}.{key}" if key else self.prefix

    def below(self, key: str) -> Checker:
        """A checker whose keys are relative to ``key``."""
        return Checker(self.source, self.path(key))

    def fail(self, key: str, message: str) -> ConfigurationInvalid:
        path = self.path(key)
        return ConfigurationInvalid(message, source=self.source, key=redact_text(path) or None)

    def expect(self, key: str, value: Any, expected: str) -> Any:
        if not _ACCEPTS[expected](value):
            # a secret's value is never echoed, whatever its type (a numeric password)
            secret = is_secret_key(self.path(key))
            shown = f"{_kind(value)} (a secret, not shown)" if secret else describe(value)
            raise self.fail(key, f"expected {expected}, got {shown}")
        return value

    def number(
        self,
        key: str,
        value: Any,
        *,
        minimum: float = 0,
        exclusive: bool = False,
        maximum: float = math.inf,
    ) -> float:
        """A number from ``minimum`` (excluded with ``exclusive``) to ``maximum``."""
        self.expect(key, value, A_NUMBER)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(key, f"expected a finite number, got {value!r}")
        if value < minimum or (exclusive and value == minimum):
            bound = "greater than" if exclusive else "at least"
            raise self.fail(key, f"expected a number {bound} {minimum:g}, got {describe(value)}")
        if value > maximum:
            most = int(maximum) if maximum == int(maximum) else maximum
            raise self.fail(key, f"expected a number at most {most}, got {describe(value)}")
        return float(value)

    def integer(self, key: str, value: Any, *, minimum: int = 0, maximum: float = math.inf) -> int:
        number = self.number(key, value, minimum=minimum, maximum=maximum)
        if number != int(number):
            raise self.fail(key, f"expected a whole number, got {value!r}")
        return int(number)

    def optional_str(self, key: str, value: Any) -> Optional[str]:
        """A string, or None for a missing or empty value."""
        if value is None or value == "":
            return None
        return str(self.expect(key, value, A_STR))

    def mapping(self, key: str, value: Any) -> dict[Any, Any]:
        """A mapping (copied), or an empty one for a missing value."""
        if value is None:
            return {}
        return dict(self.expect(key, value, A_MAPPING))

    def version(self, key: str, value: Any) -> str:
        """A version string (quoted in YAML, so ``3.10`` does not become the float 3.1)."""
        if not isinstance(value, str):
            raise self.fail(key, f"expected a version string (quote it), got {describe(value)}")
        try:
            parse_version(value)
        except CheckError as exc:
            raise self.fail(key, str(exc)) from None
        return value.strip()


def parse_check(checker: Checker, check: Any) -> dict[str, Any]:
    """Type-check the known keys of one check config; unknown keys pass unchanged."""
    result = {str(k): v for k, v in checker.mapping("", check).items()}
    for key, value in result.items():
        expected = CHECK_KEY_TYPES.get(key)
        if expected is not None and value is not None:
            checker.expect(key, value, expected)
        if key in CHECK_NUMBER_RANGES and value is not None:
            low, high, exclusive = CHECK_NUMBER_RANGES[key]
            checker.number(key, value, minimum=low, maximum=high, exclusive=exclusive)
    for index, channel in enumerate(result.get("prerelease_branches") or ()):
        _check_channel(checker.below(f"prerelease_branches[{index}]"), channel)
    if result.get("stable_branch") is not None:
        _check_channel(checker.below("stable_branch"), result["stable_branch"])
    return result


def validate_check(name: str, check: Any, source: Optional[str] = None) -> dict[str, Any]:
    """Type-check one check config as the ``checks`` section's entries are checked.

    For configs from elsewhere (plugins, overlays, the host's defaults): returns a copy with
    string keys, or raises :class:`ConfigurationInvalid` naming ``checks.<name>.<key>``.
    """
    return parse_check(Checker(source, f"checks.{name}"), check)


def _check_channel(checker: Checker, channel: Any) -> None:
    """A release channel: ``branch`` (required), ``name`` and ``commitish`` (optional)."""
    checker.expect("", channel, A_MAPPING)
    checker.expect("branch", channel.get("branch"), A_STR)
    if channel.get("name") is not None:
        checker.expect("name", channel["name"], A_STR)
    if channel.get("commitish") is not None:
        checker.expect("commitish", channel["commitish"], STR_OR_LIST)
