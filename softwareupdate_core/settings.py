"""Settings: the keys of OctoPrint's ``plugins.softwareupdate`` section plus this library's.

Load them from a mapping, from a YAML file holding a bare section, or from a whole OctoPrint
``config.yaml``. Wrong types raise :class:`ConfigurationInvalid` naming the file and key
path; unknown keys are kept (``extra`` and inside each check) and passed on to checks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Callable, Optional, Union

import attrs

from .exceptions import ConfigurationInvalid

#: Where the reference plugin fetches its check overlays from.
OCTOPRINT_OVERLAY_URL = "https://plugins.octoprint.org/update_check_overlay.json"

#: Keys a check config may carry and the type each must have (others pass unchecked).
_BOOL = "a boolean"
_STR = "a string"
_INT = "a number"
_LIST_OR_STR = "a string or a list of strings"
_MAPPING = "a mapping"
_LIST = "a list"
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
    "force_reinstall": _BOOL,
    "ignorable": _BOOL,
    "disabled": _BOOL,
    "compatible": _BOOL,
    "api_url": _STR,
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
    "max_pages": _INT,
}


def _type_ok(value: Any, expected: str) -> bool:
    if expected == _BOOL:
        return isinstance(value, bool)
    if expected == _STR:
        return isinstance(value, str)
    if expected == _INT:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == _MAPPING:
        return isinstance(value, Mapping)
    if expected == _LIST:
        return isinstance(value, list)
    if expected == _LIST_OR_STR:
        return isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
    raise AssertionError(expected)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (str, int, float, bool)):
        return repr(value)
    return f"a {type(value).__name__}"


@attrs.frozen
class _Checker:
    """Validates values while remembering the file they came from."""

    source: Optional[str]

    def fail(self, key: str, message: str) -> ConfigurationInvalid:
        return ConfigurationInvalid(message, source=self.source, key=key)

    def expect(self, key: str, value: Any, expected: str) -> Any:
        if not _type_ok(value, expected):
            raise self.fail(key, f"expected {expected}, got {_describe(value)}")
        return value

    def number(self, key: str, value: Any, *, minimum: float = 0) -> float:
        self.expect(key, value, _INT)
        if value < minimum:
            raise self.fail(key, f"expected a number of at least {minimum}, got {value!r}")
        return float(value)

    def integer(self, key: str, value: Any, *, minimum: int = 0) -> int:
        number = self.number(key, value, minimum=minimum)
        if number != int(number):
            raise self.fail(key, f"expected a whole number, got {value!r}")
        return int(number)

    def optional_str(self, key: str, value: Any) -> Optional[str]:
        if value is None or value == "":
            return None
        return str(self.expect(key, value, _STR))

    def mapping(self, key: str, value: Any) -> Mapping[str, Any]:
        if value is None:
            return {}
        return dict(self.expect(key, value, _MAPPING))


def _secret_repr(value: object) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen
class Credentials:
    """Global credentials; their values never appear in reprs or logs."""

    github: Optional[str] = attrs.field(default=None, repr=_secret_repr)
    bitbucket_user: Optional[str] = None
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
        return {"octoprint": self.octoprint, "environment": self.environment}.get(kind)


@attrs.frozen
class Settings:
    """Every setting with its default; units as in OctoPrint (minutes, MB, seconds)."""

    checks: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    pip_command: Optional[Union[str, list[str]]] = None
    #: Minutes a version check answer stays valid.
    cache_ttl: int = 1440
    notify_users: bool = True
    ignore_throttled: bool = False
    #: Megabytes that must be free in the library, plugin and temp folders to update.
    minimum_free_storage: int = 150
    check_overlay_url: Optional[str] = OCTOPRINT_OVERLAY_URL
    #: Minutes a fetched check overlay stays valid.
    check_overlay_ttl: int = 360
    credentials: Credentials = attrs.field(factory=Credentials)
    #: Minutes an update log entry is kept (default 30 days).
    updatelog_cutoff: int = 43200
    restart_commands: RestartCommands = attrs.field(factory=RestartCommands)
    max_workers: int = 16
    per_host_limit: int = 8
    timeout: Timeout = attrs.field(factory=Timeout)
    plugin_folder: Optional[str] = None
    #: Minutes an earlier good answer may be shown (marked stale) when a check fails.
    stale_limit: int = 10080
    #: Most pages of a paginated release list to read.
    max_pages: int = 10
    #: Oldest Python and pip an update round accepts.
    minimum_python: str = "3.7"
    minimum_pip: str = "19.0"
    #: Unknown keys, kept as they were.
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    #: Where these settings were read from, for error messages.
    source: Optional[str] = None

    @classmethod
    def from_mapping(
        cls, data: Optional[Mapping[str, Any]], *, source: Optional[str] = None
    ) -> Settings:
        """Validate and load a ``plugins.softwareupdate`` section given as a mapping."""
        return _parse_section(data or {}, _Checker(source), restart_defaults=RestartCommands())

    @classmethod
    def from_yaml(cls, path: Union[str, os.PathLike[str]]) -> Settings:
        """Load a bare section or a whole OctoPrint ``config.yaml``."""
        return load_yaml(path)

    @classmethod
    def default(cls) -> Settings:
        """The built-in configuration: check pip and this library on the package index."""
        return cls(checks=default_checks(), check_overlay_url=None, source="built-in defaults")

    def credentials_for_checks(self) -> dict[str, Any]:
        return self.credentials.as_dict()

    def replace(self, **changes: Any) -> Settings:
        return attrs.evolve(self, **changes)


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
        },
    }


def _validate_check(checker: _Checker, name: str, check: Any) -> dict[str, Any]:
    key = f"checks.{name}"
    if check is None:
        return {}
    checker.expect(key, check, _MAPPING)
    result: dict[str, Any] = {}
    for k, v in check.items():
        k = str(k)
        expected = CHECK_KEY_TYPES.get(k)
        if expected is not None and v is not None:
            checker.expect(f"{key}.{k}", v, expected)
        result[k] = v
    for i, branch in enumerate(result.get("prerelease_branches") or []):
        _validate_channel(checker, f"{key}.prerelease_branches[{i}]", branch)
    if result.get("stable_branch") is not None:
        _validate_channel(checker, f"{key}.stable_branch", result["stable_branch"])
    return result


def _validate_channel(checker: _Checker, key: str, channel: Any) -> None:
    checker.expect(key, channel, _MAPPING)
    checker.expect(f"{key}.branch", channel.get("branch"), _STR)
    if channel.get("name") is not None:
        checker.expect(f"{key}.name", channel["name"], _STR)
    if channel.get("commitish") is not None:
        checker.expect(f"{key}.commitish", channel["commitish"], _LIST_OR_STR)


_KNOWN_KEYS = frozenset(
    {
        "checks",
        "pip_command",
        "cache_ttl",
        "notify_users",
        "ignore_throttled",
        "minimum_free_storage",
        "check_overlay_url",
        "check_overlay_ttl",
        "credentials",
        "updatelog_cutoff",
        "restart_commands",
        "max_workers",
        "per_host_limit",
        "timeout",
        "plugin_folder",
        "stale_limit",
        "max_pages",
        "minimum_python",
        "minimum_pip",
        # OctoPrint's older names for the restart commands, read into restart_commands
        "octoprint_restart_command",
        "environment_restart_command",
    }
)


def _parse_section(
    data: Mapping[str, Any], checker: _Checker, *, restart_defaults: RestartCommands
) -> Settings:
    if not isinstance(data, Mapping):
        raise checker.fail("softwareupdate", f"expected a mapping, got {_describe(data)}")
    get = data.get
    defaults = Settings()

    def opt(key: str, convert: Callable[[str, Any], Any], default: Any) -> Any:
        value = get(key)
        return default if value is None else convert(key, value)

    checks_raw = checker.mapping("checks", get("checks"))
    checks = {str(n): _validate_check(checker, str(n), c) for n, c in checks_raw.items()}

    pip_command = get("pip_command")
    if pip_command is not None and pip_command != "":
        checker.expect("pip_command", pip_command, _LIST_OR_STR)
    else:
        pip_command = None

    creds_raw = checker.mapping("credentials", get("credentials"))
    forgejo_raw = checker.mapping("credentials.forgejo", creds_raw.get("forgejo"))
    credentials = Credentials(
        github=checker.optional_str("credentials.github", creds_raw.get("github")),
        bitbucket_user=checker.optional_str(
            "credentials.bitbucket_user", creds_raw.get("bitbucket_user")
        ),
        bitbucket_password=checker.optional_str(
            "credentials.bitbucket_password", creds_raw.get("bitbucket_password")
        ),
        forgejo={
            str(k): str(checker.expect(f"credentials.forgejo.{k}", v, _STR))
            for k, v in forgejo_raw.items()
            if v is not None
        },
        gitlab=checker.optional_str("credentials.gitlab", creds_raw.get("gitlab")),
    )

    restart_raw = checker.mapping("restart_commands", get("restart_commands"))
    restart = RestartCommands(
        octoprint=checker.optional_str("restart_commands.octoprint", restart_raw.get("octoprint"))
        or checker.optional_str("octoprint_restart_command", get("octoprint_restart_command"))
        or restart_defaults.octoprint,
        environment=checker.optional_str(
            "restart_commands.environment", restart_raw.get("environment")
        )
        or checker.optional_str("environment_restart_command", get("environment_restart_command"))
        or restart_defaults.environment,
    )

    timeout_raw = get("timeout")
    if timeout_raw is None:
        timeout = Timeout()
    elif isinstance(timeout_raw, Mapping):
        timeout = Timeout(
            connect=checker.number(
                "timeout.connect", timeout_raw.get("connect", Timeout.connect), minimum=0.001
            ),
            read=checker.number("timeout.read", timeout_raw.get("read", Timeout.read),
                                minimum=0.001),
        )
    else:
        seconds = checker.number("timeout", timeout_raw, minimum=0.001)
        timeout = Timeout(connect=seconds, read=seconds)

    overlay_url = defaults.check_overlay_url
    if "check_overlay_url" in data:
        overlay_url = checker.optional_str("check_overlay_url", get("check_overlay_url"))

    def boolean(key: str, value: Any) -> bool:
        return bool(checker.expect(key, value, _BOOL))

    def str_value(key: str, value: Any) -> str:
        return str(checker.expect(key, value, _STR if not isinstance(value, (int, float))
                                  else _INT))

    return Settings(
        checks=checks,
        pip_command=pip_command,
        cache_ttl=opt("cache_ttl", checker.integer, defaults.cache_ttl),
        notify_users=opt("notify_users", boolean, defaults.notify_users),
        ignore_throttled=opt("ignore_throttled", boolean, defaults.ignore_throttled),
        minimum_free_storage=opt(
            "minimum_free_storage", checker.integer, defaults.minimum_free_storage
        ),
        check_overlay_url=overlay_url,
        check_overlay_ttl=opt("check_overlay_ttl", checker.integer, defaults.check_overlay_ttl),
        credentials=credentials,
        updatelog_cutoff=opt("updatelog_cutoff", checker.integer, defaults.updatelog_cutoff),
        restart_commands=restart,
        max_workers=opt(
            "max_workers", lambda k, v: checker.integer(k, v, minimum=1), defaults.max_workers
        ),
        per_host_limit=opt(
            "per_host_limit", lambda k, v: checker.integer(k, v, minimum=1),
            defaults.per_host_limit,
        ),
        timeout=timeout,
        plugin_folder=checker.optional_str("plugin_folder", get("plugin_folder")),
        stale_limit=opt("stale_limit", checker.integer, defaults.stale_limit),
        max_pages=opt("max_pages", lambda k, v: checker.integer(k, v, minimum=1),
                      defaults.max_pages),
        minimum_python=opt("minimum_python", str_value, defaults.minimum_python),
        minimum_pip=opt("minimum_pip", str_value, defaults.minimum_pip),
        extra={str(k): v for k, v in data.items() if k not in _KNOWN_KEYS},
        source=checker.source,
    )


def parse_document(data: Any, *, source: Optional[str] = None) -> Settings:
    """Load settings from a parsed YAML document: a whole OctoPrint config or a bare section.

    A whole config is recognised by its ``plugins`` key; its ``server.commands``
    (``serverRestartCommand``, ``systemRestartCommand``) become the restart commands. A bare
    section may be the section itself or a mapping with the single key ``softwareupdate``.
    """
    checker = _Checker(source)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigurationInvalid(
            f"expected a mapping at the top level, got {_describe(data)}", source=source
        )
    if "plugins" in data:
        plugins = checker.mapping("plugins", data.get("plugins"))
        section = plugins.get("softwareupdate")
        server = checker.mapping("server", data.get("server"))
        commands = checker.mapping("server.commands", server.get("commands"))
        restart_defaults = RestartCommands(
            octoprint=checker.optional_str(
                "server.commands.serverRestartCommand", commands.get("serverRestartCommand")
            ),
            environment=checker.optional_str(
                "server.commands.systemRestartCommand", commands.get("systemRestartCommand")
            ),
        )
        return _parse_with_prefix(
            {} if section is None else section, source, "plugins.softwareupdate", restart_defaults
        )
    if set(data) == {"softwareupdate"}:
        return _parse_with_prefix(data["softwareupdate"], source, "softwareupdate",
                                  RestartCommands())
    return _parse_section(data, checker, restart_defaults=RestartCommands())


def _parse_with_prefix(
    section: Any, source: Optional[str], prefix: str, restart_defaults: RestartCommands
) -> Settings:
    """Parse a nested section so error key paths carry the prefix (``plugins.softwareupdate.``)."""
    checker = _Checker(source)
    section = checker.mapping(prefix, section)
    try:
        return _parse_section(section, checker, restart_defaults=restart_defaults)
    except ConfigurationInvalid as exc:
        key = f"{prefix}.{exc.key}" if exc.key else prefix
        message = str(exc)
        # rebuild with the full key path; keep the message after "source: key: "
        tail = message.split(f"{exc.key}: ", 1)[-1] if exc.key else message
        raise ConfigurationInvalid(tail, source=source, key=key) from None


def load_yaml(path: Union[str, os.PathLike[str]]) -> Settings:
    """Read ``path`` (a bare section or a whole OctoPrint config) into Settings."""
    import yaml

    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except OSError as exc:
        raise ConfigurationInvalid(f"cannot read the file: {exc.strerror or exc}",
                                   source=source) from None
    except UnicodeDecodeError as exc:
        raise ConfigurationInvalid(f"not UTF-8 text: {exc.reason}", source=source) from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigurationInvalid(f"not valid YAML{where}: {problem}", source=source) from None
    return parse_document(document, source=source)
