"""Settings: the keys of OctoPrint's ``plugins.softwareupdate`` section plus this library's.

Load them from a mapping, from a YAML file holding a bare section, or from a whole OctoPrint
``config.yaml``. Wrong types raise :class:`ConfigurationInvalid` naming the file and key
path; unknown keys are kept: inside a check they reach the check with its config, at the
top level they stay in ``Settings.extra`` for the host.
Secrets (credentials, passwords and tokens inside checks) never appear in a ``repr``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any, Callable, Optional, Union

import attrs

from ..exceptions import CheckError, ConfigurationInvalid
from ..redact import is_secret_key, redact_text, redacted_repr
from ..versions import parse_version

#: The target that is the host program itself: shown and updated first (``host_target``).
DEFAULT_HOST_TARGET = "octoprint"

#: Where the reference plugin fetches its check overlays from.
OCTOPRINT_OVERLAY_URL = "https://plugins.octoprint.org/update_check_overlay.json"

# Expected kinds of values, by the description used in error messages.
_BOOL = "a boolean"
_STR = "a string"
_INT = "a number"
_LIST_OR_STR = "a string or a list of strings"
_MAPPING = "a mapping"
_LIST = "a list"
_VERSION_VALUE = "a version string"

_ACCEPTS: Mapping[str, Callable[[Any], bool]] = {
    _BOOL: lambda v: isinstance(v, bool),
    _STR: lambda v: isinstance(v, str),
    _INT: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    _MAPPING: lambda v: isinstance(v, Mapping),
    _LIST: lambda v: isinstance(v, list),
    _VERSION_VALUE: lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
    _LIST_OR_STR: lambda v: (
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
    ),
}

#: Keys a check config may carry and the kind each must have (others pass unchecked).
CHECK_KEY_TYPES: Mapping[str, str] = {
    "type": _STR,
    "method": _STR,
    "user": _STR,
    "repo": _STR,
    "branch": _STR,
    "current": _STR,
    "package": _STR,
    "prerelease": _BOOL,
    "prerelease_channel": _STR,
    "prerelease_branches": _LIST,
    "stable_branch": _MAPPING,
    "release_compare": _STR,
    "force_base": _BOOL,
    "offline": _BOOL,
    "unpublished_ok": _BOOL,
    "force_reinstall": _BOOL,
    "ignorable": _BOOL,
    "disabled": _BOOL,
    "compatible": _BOOL,
    "api_url": _STR,
    "api_user": _STR,
    "api_password": _STR,
    "web_url": _STR,
    "index_url": _STR,
    "forge": _STR,
    "project": _STR,
    "checkout_folder": _STR,
    "update_folder": _STR,
    "header_url": _STR,
    "header_name": _STR,
    "header_method": _STR,
    "header_prefix": _STR,
    "jsondata": _STR,
    "url": _STR,
    "pip": _STR,
    "pip_command": _LIST_OR_STR,
    "pip_cwd": _STR,
    "command": _LIST_OR_STR,
    "update_script": _LIST_OR_STR,
    "pre_update_script": _LIST_OR_STR,
    "post_update_script": _LIST_OR_STR,
    "restart": _STR,
    "displayName": _STR,
    "displayVersion": _STR,
    "release_notes": _STR,
    "plugin_folder": _STR,
    "sha256": _STR,
    "verify": _LIST_OR_STR,
    "timeout": _INT,
    "update_timeout": _INT,
    "max_pages": _INT,
    "current_version": _VERSION_VALUE,
}

#: Allowed ranges of the numbers a check config may carry: (lowest, highest, lowest excluded).
CHECK_NUMBER_RANGES: Mapping[str, tuple[float, float, bool]] = {
    "timeout": (0, 86400, True),
    "update_timeout": (0, 7 * 86400, True),
    "max_pages": (1, 1000, False),
}


def _describe(value: Any) -> str:
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
    kinds = ((bool, _BOOL), ((int, float), "a number"), (str, _STR), (Mapping, _MAPPING))
    return next((words for kind, words in kinds if isinstance(value, kind)), _describe(value))


@attrs.frozen
class _Checker:
    """Validates values, naming the file and the full key path (``prefix.key``) on failure."""

    source: Optional[str]
    prefix: str = ""

    def path(self, key: str) -> str:
        """The full key path of ``key`` below this checker's prefix."""
        if not self.prefix:
            return key
        return f"{self.prefix}.{key}" if key else self.prefix

    def below(self, key: str) -> _Checker:
        """A checker whose keys are relative to ``key``."""
        return _Checker(self.source, self.path(key))

    def fail(self, key: str, message: str) -> ConfigurationInvalid:
        path = self.path(key)
        return ConfigurationInvalid(message, source=self.source, key=redact_text(path) or None)

    def expect(self, key: str, value: Any, expected: str) -> Any:
        if not _ACCEPTS[expected](value):
            # a secret's value is never echoed, whatever its type (a numeric password)
            secret = is_secret_key(self.path(key))
            shown = f"{_kind(value)} (a secret, not shown)" if secret else _describe(value)
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
        self.expect(key, value, _INT)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(key, f"expected a finite number, got {value!r}")
        if value < minimum or (exclusive and value == minimum):
            bound = "greater than" if exclusive else "at least"
            raise self.fail(key, f"expected a number {bound} {minimum:g}, got {_describe(value)}")
        if value > maximum:
            most = int(maximum) if maximum == int(maximum) else maximum
            raise self.fail(key, f"expected a number at most {most}, got {_describe(value)}")
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
        return str(self.expect(key, value, _STR))

    def mapping(self, key: str, value: Any) -> dict[Any, Any]:
        """A mapping (copied), or an empty one for a missing value."""
        if value is None:
            return {}
        return dict(self.expect(key, value, _MAPPING))

    def version(self, key: str, value: Any) -> str:
        """A version string (quoted in YAML, so ``3.10`` does not become the float 3.1)."""
        if not isinstance(value, str):
            raise self.fail(key, f"expected a version string (quote it), got {_describe(value)}")
        try:
            parse_version(value)
        except CheckError as exc:
            raise self.fail(key, str(exc)) from None
        return value.strip()


def _secret_repr(value: object) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen
class Credentials:
    """Global credentials; their values never appear in reprs or logs."""

    github: Optional[str] = attrs.field(default=None, repr=_secret_repr)
    bitbucket_user: Optional[str] = attrs.field(default=None, repr=_secret_repr)
    bitbucket_password: Optional[str] = attrs.field(default=None, repr=_secret_repr)
    #: Forge name (``codeberg``) or API base URL -> token.
    forgejo: Mapping[str, str] = attrs.field(factory=dict, repr=lambda v: f"<{len(v)} tokens>")
    gitlab: Optional[str] = attrs.field(default=None, repr=_secret_repr)

    def as_dict(self) -> dict[str, Any]:
        """The mapping handed to version checks as ``credentials``."""
        return {
            "github": self.github,
            "bitbucket_user": self.bitbucket_user,
            "bitbucket_password": self.bitbucket_password,
            "forgejo": dict(self.forgejo),
            "gitlab": self.gitlab,
        }


@attrs.frozen
class Timeout:
    """Seconds to wait for a connection and for each read, on every network request."""

    connect: float = 5.0
    read: float = 20.0

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


@attrs.frozen
class RestartCommands:
    """Shell-free commands that restart the host program or the whole machine."""

    octoprint: Optional[str] = None
    environment: Optional[str] = None

    def for_kind(self, kind: str) -> Optional[str]:
        """The command for ``kind`` (``octoprint`` or ``environment``), None if unset."""
        return {"octoprint": self.octoprint, "environment": self.environment}.get(kind)


@attrs.frozen
class Settings:
    """Every setting with its default; units as in OctoPrint (minutes, MB, seconds)."""

    checks: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=redacted_repr)
    #: Checks the host ships; plugins, overlays and ``checks`` are merged on top of them, so
    #: a ``checks`` entry without ``type`` may adjust a default target (as OctoPrint's
    #: config.yaml, which stores only changed values, does).
    default_checks: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=redacted_repr)
    pip_command: Optional[Union[str, list[str]]] = attrs.field(default=None, repr=redacted_repr)
    #: Minutes a version check answer stays valid.
    cache_ttl: int = 1440
    notify_users: bool = True
    ignore_throttled: bool = False
    #: Megabytes that must be free in the library, plugin and temp folders to update.
    minimum_free_storage: int = 150
    check_overlay_url: Optional[str] = attrs.field(
        default=OCTOPRINT_OVERLAY_URL, repr=redacted_repr
    )
    #: Minutes a fetched check overlay stays valid.
    check_overlay_ttl: int = 360
    credentials: Credentials = attrs.field(factory=Credentials)
    #: Minutes an update log entry is kept (default 30 days).
    updatelog_cutoff: int = 43200
    restart_commands: RestartCommands = attrs.field(
        factory=RestartCommands, repr=lambda v: redact_text(repr(v))
    )
    max_workers: int = 16
    per_host_limit: int = 8
    timeout: Timeout = attrs.field(factory=Timeout)
    plugin_folder: Optional[str] = None
    #: Minutes an earlier good answer may be shown (marked stale) when a check fails.
    stale_limit: int = 10080
    #: Most pages of a paginated release list to read.
    max_pages: int = 10
    #: The package index of ``pypi_release`` checks without their own ``index_url``.
    index_url: Optional[str] = None
    #: Oldest Python and pip an update round accepts.
    minimum_python: str = "3.7"
    minimum_pip: str = "19.0"
    #: Targets of ``checks`` whose config has a wrong value, with the error naming its key
    #: path; such a target reports ``error: config`` and the others are still checked.
    invalid_checks: Mapping[str, str] = attrs.field(factory=dict)
    #: Why nothing is checked at all (the host's config disables the plugin), or None.
    disabled_reason: Optional[str] = None
    #: Unknown keys, kept as they were.
    extra: Mapping[str, Any] = attrs.field(factory=dict, repr=redacted_repr)
    #: Where these settings were read from, for error messages.
    source: Optional[str] = None

    @classmethod
    def from_mapping(
        cls, data: Optional[Mapping[str, Any]], *, source: Optional[str] = None
    ) -> Settings:
        """Validate and load a ``plugins.softwareupdate`` section given as a mapping."""
        return _parse_section(data, _Checker(source), RestartCommands())

    @classmethod
    def from_yaml(cls, path: Union[str, os.PathLike[str]]) -> Settings:
        """Load a bare section or a whole OctoPrint ``config.yaml``."""
        return load_yaml(path)

    @classmethod
    def default(cls) -> Settings:
        """The built-in configuration: check pip and this library on the package index."""
        return cls(checks=default_checks(), check_overlay_url=None, source="built-in defaults")

    @property
    def host_target(self) -> str:
        """The host program's own target (key ``host_target``, default ``octoprint``)."""
        return str(self.extra.get("host_target") or DEFAULT_HOST_TARGET)

    def credentials_for_checks(self) -> dict[str, Any]:
        """The global credentials as the mapping version checks receive."""
        return self.credentials.as_dict()

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (no validation)."""
        return attrs.evolve(self, **changes)


def octoprint_default_checks(*, with_pip: bool = False) -> dict[str, dict[str, Any]]:
    """The checks OctoPrint 1.11.8 ships: the ``octoprint`` target (releases, three channels).

    Used for a whole OctoPrint ``config.yaml``, whose ``checks`` hold only what the user
    changed. The ``octoprint`` target is there only when OctoPrint is installed in this
    environment (its version is ``current``); ``pip`` only when ``with_pip`` (the config's
    ``checks`` name it), as OctoPrint itself ships no ``pip`` target.
    """
    checks: dict[str, dict[str, Any]] = {}
    if with_pip:
        checks["pip"] = {
            "type": "pypi_release",
            "package": "pip",
            "displayName": "pip",
            "pip": "pip=={target_version}",
        }
    installed = _installed_version("OctoPrint")
    if installed is None:
        return checks
    octoprint: dict[str, Any] = {
        "type": "github_release",
        "user": "OctoPrint",
        "repo": "OctoPrint",
        "displayName": "OctoPrint",
        "method": "pip",
        "pip": "https://github.com/OctoPrint/OctoPrint/archive/{target_version}.zip",
        # the channels' commitish lists as OctoPrint 1.11.8 ships them
        "stable_branch": {"name": "Stable", "branch": "master", "commitish": ["master", "main"]},
        "prerelease_branches": [
            {
                "name": "Maintenance RCs",
                "branch": "rc/maintenance",
                "commitish": ["rc/maintenance", "next"],
            },
            {
                "name": "Devel RCs",
                "branch": "rc/devel",
                "commitish": ["rc/maintenance", "rc/devel", "next"],
            },
        ],
        "restart": "octoprint",
        "current": installed,
    }
    return {"octoprint": octoprint, **checks}


def _installed_version(distribution: str) -> Optional[str]:
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def default_checks() -> dict[str, dict[str, Any]]:
    """The checks of the built-in default: pip and softwareupdate-core on the index."""
    return {
        "pip": {
            "type": "pypi_release",
            "package": "pip",
            "displayName": "pip",
            "pip": "pip=={target_version}",
        },
        "softwareupdate-core": {
            "type": "pypi_release",
            "package": "softwareupdate-core",
            "displayName": "softwareupdate-core",
            "pip": "softwareupdate-core=={target_version}",
            "unpublished_ok": True,
        },
    }


#: Longest a timeout may be, in seconds (a day): a bigger one is a typo, not a wish.
MAX_TIMEOUT = 86400.0

# Top-level keys by how they are validated: whole numbers with their range, booleans,
# version strings. The others have their own code in _parse_section. The upper bounds keep
# every value usable (a thread pool, a semaphore, a timedelta) instead of crashing a round.
_YEAR = 365 * 24 * 60
_WHOLE_NUMBERS: Mapping[str, tuple[int, int]] = {
    "cache_ttl": (0, _YEAR),
    "minimum_free_storage": (0, 10**12),
    "check_overlay_ttl": (0, _YEAR),
    "updatelog_cutoff": (0, 100 * _YEAR),
    "max_workers": (1, 256),
    "per_host_limit": (1, 64),
    "stale_limit": (0, _YEAR),
    "max_pages": (1, 1000),
}
#: Seconds-valued keys kept in ``extra`` (read where they are used), with their largest value.
_EXTRA_SECONDS: Mapping[str, float] = {
    "verify_timeout": 7 * 86400,
    "restart_timeout": MAX_TIMEOUT,
    "lock_wait": MAX_TIMEOUT,
    "busy_poll_interval": MAX_TIMEOUT,
}
_BOOLEANS = ("notify_users", "ignore_throttled")
_VERSIONS = ("minimum_python", "minimum_pip")
_OTHER_KEYS = (
    "checks",
    "pip_command",
    "check_overlay_url",
    "credentials",
    "restart_commands",
    "timeout",
    "plugin_folder",
    "index_url",
    # OctoPrint's older names for the restart commands, read into restart_commands
    "octoprint_restart_command",
    "environment_restart_command",
)
_KNOWN_KEYS = frozenset((*_WHOLE_NUMBERS, *_BOOLEANS, *_VERSIONS, *_OTHER_KEYS))


def _parse_section(data: Any, checker: _Checker, restart_defaults: RestartCommands) -> Settings:
    """Validate one ``softwareupdate`` section; ``checker`` knows the file and key prefix."""
    section = checker.mapping("", data)
    values: dict[str, Any] = {}
    for key, (minimum, maximum) in _WHOLE_NUMBERS.items():
        if section.get(key) is not None:
            values[key] = checker.integer(key, section[key], minimum=minimum, maximum=maximum)
    for key, most in _EXTRA_SECONDS.items():
        if section.get(key) is not None:
            checker.number(key, section[key], minimum=0, maximum=most)
    for key in _BOOLEANS:
        if section.get(key) is not None:
            values[key] = checker.expect(key, section[key], _BOOL)
    for key in _VERSIONS:
        if section.get(key) is not None:
            values[key] = checker.version(key, section[key])
    if "check_overlay_url" in section:
        values["check_overlay_url"] = checker.optional_str(
            "check_overlay_url", section["check_overlay_url"]
        )
    checks: dict[str, Mapping[str, Any]] = {}
    invalid: dict[str, str] = {}
    for name, check in checker.mapping("checks", section.get("checks")).items():
        # one target's bad value is that target's error, never the whole file's
        try:
            checks[str(name)] = _parse_check(checker.below(f"checks.{name}"), check)
        except ConfigurationInvalid as exc:
            invalid[str(name)] = str(exc)
            checks[str(name)] = dict(check) if isinstance(check, Mapping) else {}
    return Settings(
        checks=checks,
        invalid_checks=invalid,
        pip_command=_parse_pip_command(checker, section.get("pip_command")),
        credentials=_parse_credentials(checker.below("credentials"), section.get("credentials")),
        restart_commands=_parse_restart(checker, section, restart_defaults),
        timeout=_parse_timeout(checker, section.get("timeout")),
        plugin_folder=checker.optional_str("plugin_folder", section.get("plugin_folder")),
        index_url=checker.optional_str("index_url", section.get("index_url")),
        extra={str(k): v for k, v in section.items() if k not in _KNOWN_KEYS},
        source=checker.source,
        **values,
    )


def _parse_check(checker: _Checker, check: Any) -> dict[str, Any]:
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
    return _parse_check(_Checker(source, f"checks.{name}"), check)


def _check_channel(checker: _Checker, channel: Any) -> None:
    """A release channel: ``branch`` (required), ``name`` and ``commitish`` (optional)."""
    checker.expect("", channel, _MAPPING)
    checker.expect("branch", channel.get("branch"), _STR)
    if channel.get("name") is not None:
        checker.expect("name", channel["name"], _STR)
    if channel.get("commitish") is not None:
        checker.expect("commitish", channel["commitish"], _LIST_OR_STR)


def _parse_pip_command(checker: _Checker, value: Any) -> Optional[Union[str, list[str]]]:
    if value is None or value == "" or value == []:
        return None
    checker.expect("pip_command", value, _LIST_OR_STR)
    return list(value) if isinstance(value, list) else str(value)


def _parse_credentials(checker: _Checker, data: Any) -> Credentials:
    raw = checker.mapping("", data)
    forgejo = checker.mapping("forgejo", raw.get("forgejo"))
    return Credentials(
        github=checker.optional_str("github", raw.get("github")),
        bitbucket_user=checker.optional_str("bitbucket_user", raw.get("bitbucket_user")),
        bitbucket_password=checker.optional_str(
            "bitbucket_password", raw.get("bitbucket_password")
        ),
        forgejo={
            str(forge): str(checker.expect(f"forgejo.{forge}", token, _STR))
            for forge, token in forgejo.items()
            if token is not None
        },
        gitlab=checker.optional_str("gitlab", raw.get("gitlab")),
    )


def _parse_restart(
    checker: _Checker, section: Mapping[str, Any], defaults: RestartCommands
) -> RestartCommands:
    """``restart_commands``, else OctoPrint's older section keys, else the server's commands."""
    nested = checker.mapping("restart_commands", section.get("restart_commands"))

    def pick(kind: str) -> Optional[str]:
        return (
            checker.optional_str(f"restart_commands.{kind}", nested.get(kind))
            or checker.optional_str(
                f"{kind}_restart_command", section.get(f"{kind}_restart_command")
            )
            or defaults.for_kind(kind)
        )

    return RestartCommands(octoprint=pick("octoprint"), environment=pick("environment"))


def _parse_timeout(checker: _Checker, value: Any) -> Timeout:
    """``timeout: {connect, read}`` in seconds, or one number for both."""
    default = Timeout()
    if value is None:
        return default
    if not isinstance(value, Mapping):
        both = checker.number("timeout", value, minimum=0, exclusive=True, maximum=MAX_TIMEOUT)
        return Timeout(connect=both, read=both)

    def seconds(key: str, fallback: float) -> float:
        raw = value.get(key)
        if raw is None:
            return fallback
        return checker.number(f"timeout.{key}", raw, minimum=0, exclusive=True, maximum=MAX_TIMEOUT)

    return Timeout(connect=seconds("connect", default.connect), read=seconds("read", default.read))


def parse_document(data: Any, *, source: Optional[str] = None) -> Settings:
    """Load settings from a parsed YAML document: a whole OctoPrint config or a bare section.

    A whole config is recognised by its ``plugins`` or ``server`` key; its ``server.commands``
    (``serverRestartCommand``, ``systemRestartCommand``) become the restart commands and
    OctoPrint's shipped checks (:func:`octoprint_default_checks`) the ``default_checks``. A bare
    section may be the section itself or a mapping with the single key ``softwareupdate``.
    """
    checker = _Checker(source)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigurationInvalid(
            f"expected a mapping at the top level, got {_describe(data)}", source=source
        )
    if "plugins" in data or "server" in data:
        plugins = checker.mapping("plugins", data.get("plugins"))
        server = checker.mapping("server", data.get("server"))
        commands = checker.below("server.commands")
        raw_commands = checker.mapping("server.commands", server.get("commands"))
        restart_defaults = RestartCommands(
            octoprint=commands.optional_str(
                "serverRestartCommand", raw_commands.get("serverRestartCommand")
            ),
            environment=commands.optional_str(
                "systemRestartCommand", raw_commands.get("systemRestartCommand")
            ),
        )
        section = checker.below("plugins.softwareupdate")
        settings = _parse_section(plugins.get("softwareupdate"), section, restart_defaults)
        disabled = plugins.get("_disabled")
        if isinstance(disabled, list) and "softwareupdate" in disabled:
            # OctoPrint would not load the plugin: nothing to check, and the reason said
            return attrs.evolve(
                settings,
                checks={},
                invalid_checks={},
                disabled_reason=(
                    "the softwareupdate plugin is disabled in this config "
                    "(plugins._disabled lists softwareupdate): nothing to check"
                ),
            )
        defaults = octoprint_default_checks(with_pip="pip" in settings.checks)
        return attrs.evolve(settings, default_checks=defaults)
    if set(data) == {"softwareupdate"}:
        section = checker.below("softwareupdate")
        return _parse_section(data["softwareupdate"], section, RestartCommands())
    return _parse_section(data, checker, RestartCommands())


def load_yaml(path: Union[str, os.PathLike[str]]) -> Settings:
    """Read ``path`` (a bare section or a whole OctoPrint config) into Settings."""
    import yaml

    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            # bounded: a huge file (or /dev/zero) must not fill the memory
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigurationInvalid(
            f"cannot read the file: {exc.strerror or exc}", source=source
        ) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigurationInvalid(
            f"the file is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB, "
            "the most a configuration may have",
            source=source,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigurationInvalid(
            f"not UTF-8 text: {exc.reason} at line {line} (byte {exc.start})", source=source
        ) from None
    try:
        # the C loader when PyYAML has it: the same safe subset, several times faster
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            node = loader.get_single_node()
            problem = _alias_problem(node)
            if problem:
                raise ConfigurationInvalid(problem, source=source)
            document = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise ConfigurationInvalid(f"not valid YAML{_yaml_problem(exc)}", source=source) from None
    return parse_document(document, source=source)


#: Largest configuration file read, in bytes (a whole OctoPrint config.yaml is far smaller).
MAX_CONFIG_BYTES = 4 * 1024 * 1024

#: Most YAML nodes that aliases (``*name``) may add to a configuration once expanded. Enough
#: for anchors shared by hundreds of checks; a "billion laughs" alias bomb needs far more.
MAX_ALIAS_EXPANSION = 100_000


def _alias_problem(root: Any) -> str:
    """Why the YAML node graph ``root`` must not be built, or an empty string.

    Aliases make one node appear in many places; every later walk over the settings (a copy,
    a digest, ``config show``) pays for each appearance. Counts the nodes of the expanded
    document without expanding it (each node's expanded size once, memoised), and refuses an
    alias that contains itself. Iterative, so a deep document cannot exhaust the stack.
    """
    if root is None:
        return ""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        ident = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(ident)
            sizes[ident] = 1 + sum(sizes[id(child)] for child in children)
            continue
        if ident in sizes:
            continue
        if ident in open_nodes:
            line = node.start_mark.line + 1 if getattr(node, "start_mark", None) else 0
            return f"a YAML alias at line {line} refers to a node that contains it"
        open_nodes.add(ident)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                mark = getattr(child, "start_mark", None)
                line = mark.line + 1 if mark is not None else 0
                return f"a YAML alias refers to the node at line {line} that contains it"
            if id(child) not in sizes:
                stack.append((child, False))
    added = sizes[id(root)] - len(sizes)
    if added > MAX_ALIAS_EXPANSION:
        return (
            f"YAML aliases (*name) would expand the document by {added:,} nodes, more than "
            f"the {MAX_ALIAS_EXPANSION:,} allowed (an alias bomb?)"
        )
    return ""


def _children(node: Any) -> list[Any]:
    """The child nodes of a YAML node: a sequence's items, a mapping's keys and values."""
    value = getattr(node, "value", None)
    if not isinstance(value, list):
        return []
    children: list[Any] = []
    for item in value:
        if isinstance(item, tuple):
            children.extend(item)
        else:
            children.append(item)
    return children


def _yaml_problem(exc: Exception) -> str:
    """`` at line L, column C: problem`` from a PyYAML error, as far as it tells."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{where}: {problem}"
