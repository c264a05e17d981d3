"""Loading settings: from a mapping, a YAML file, a whole OctoPrint ``config.yaml``.

A whole config contributes its restart commands and OctoPrint's shipped checks (the host
defaults, :func:`.host_defaults.octoprint_default_checks`); a bare section is the
``plugins.softwareupdate`` mapping itself. YAML files are read by :mod:`.yaml_file`:
bounded in size and alias expansion, with the safe loader only.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping
from typing import Any, Optional, Union

import attrs

from ..exceptions import ConfigurationInvalid
from .host_defaults import octoprint_default_checks
from .settings import (
    Credentials,
    RestartCommands,
    Settings,
    Timeout,
)
from .validation import (
    A_BOOL,
    A_STR,
    STR_OR_LIST,
    Checker,
    describe,
    parse_check,
)
from .yaml_file import read_yaml_file

log = logging.getLogger(__name__)


#: Longest a timeout may be, in seconds (a day): a bigger one is a typo, not a wish.
MAX_TIMEOUT = 86400.0


# Top-level keys by how they are validated: whole numbers with their range, booleans,
# version strings. The others have their own code in parse_section. The upper bounds keep
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


#: Seconds-valued keys with their largest value (0 allowed: do not wait).
_SECONDS: Mapping[str, float] = {
    "verify_timeout": 7 * 86400,
    "restart_timeout": MAX_TIMEOUT,
    "lock_wait": MAX_TIMEOUT,
    "busy_poll_interval": MAX_TIMEOUT,
}

#: Keys OctoPrint itself stores in its section (older names, its own bookkeeping): kept in
#: ``extra`` without a warning, since a whole OctoPrint config.yaml may carry them.
_HOST_KEYS = frozenset(
    (
        "_config_version",
        "check_overlay_py2_url",
        "check_providers",
        "octoprint_branch_mappings",
        "octoprint_checkout_folder",
        "octoprint_method",
        "octoprint_pip_target",
        "octoprint_release_channel",
        "octoprint_tracked_branch",
        "octoprint_type",
    )
)


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
    "host_target",
    "update_timeout",
    "shared_cache",
    # OctoPrint's older names for the restart commands, read into restart_commands
    "octoprint_restart_command",
    "environment_restart_command",
)


_KNOWN_KEYS = frozenset((*_WHOLE_NUMBERS, *_SECONDS, *_BOOLEANS, *_VERSIONS, *_OTHER_KEYS))


def unknown_key_warning(key: str, prefix: str = "") -> str:
    """The warning for an unknown top-level key, naming the closest known key if one is close.

    >>> unknown_key_warning("chekcs")
    'unknown setting `chekcs` (did you mean `checks`?)'
    """
    close = difflib.get_close_matches(key, sorted(_KNOWN_KEYS), n=1)
    path = f"{prefix}.{key}" if prefix else key
    hint = f" (did you mean `{close[0]}`?)" if close else " (kept for the host, not used here)"
    return f"unknown setting `{path}`{hint}"


def parse_section(data: Any, checker: Checker, restart_defaults: RestartCommands) -> Settings:
    """Validate one ``softwareupdate`` section; ``checker`` knows the file and key prefix."""
    section = checker.mapping("", data)
    values: dict[str, Any] = {}
    for key, (minimum, maximum) in _WHOLE_NUMBERS.items():
        if section.get(key) is not None:
            values[key] = checker.integer(key, section[key], minimum=minimum, maximum=maximum)
    for key, most in _SECONDS.items():
        if section.get(key) is not None:
            values[key] = checker.number(key, section[key], minimum=0, maximum=most)
    if section.get("update_timeout") is not None:
        values["update_timeout"] = checker.number(
            "update_timeout",
            section["update_timeout"],
            minimum=0,
            exclusive=True,
            maximum=7 * 86400,
        )
    if section.get("host_target") not in (None, ""):
        values["host_target"] = checker.expect("host_target", section["host_target"], A_STR)
    if section.get("shared_cache") is not None:
        values["shared_cache"] = _parse_shared_cache(checker, section["shared_cache"])
    for key in _BOOLEANS:
        if section.get(key) is not None:
            values[key] = checker.expect(key, section[key], A_BOOL)
    for key in _VERSIONS:
        if section.get(key) is not None:
            values[key] = checker.version(key, section[key])
    if "check_overlay_url" in section:
        values["check_overlay_url"] = checker.optional_str(
            "check_overlay_url", section["check_overlay_url"]
        )
    extra = {str(k): v for k, v in section.items() if k not in _KNOWN_KEYS}
    warnings = _unknown_keys(checker, section)
    checks: dict[str, Mapping[str, Any]] = {}
    invalid: dict[str, str] = {}
    for name, check in checker.mapping("checks", section.get("checks")).items():
        # one target's bad value is that target's error, never the whole file's
        try:
            checks[str(name)] = parse_check(checker.below(f"checks.{name}"), check)
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
        extra=extra,
        warnings=warnings,
        source=checker.source,
        **values,
    )


def _unknown_keys(checker: Checker, section: Mapping[Any, Any]) -> tuple[str, ...]:
    """One warning per unknown top-level key (logged once, here at load), host keys excepted."""
    warnings = tuple(
        unknown_key_warning(str(key), checker.prefix)
        for key in section
        if key not in _KNOWN_KEYS and key not in _HOST_KEYS
    )
    where = f"{checker.source}: " if checker.source else ""
    for warning in warnings:
        log.warning("%s%s", where, warning)
    return warnings


def _parse_shared_cache(checker: Checker, value: Any) -> Any:
    """``shared_cache`` parsed by its module; its errors gain this file and key prefix."""
    from ..store.shared_cache import SharedCacheSettings

    try:
        return SharedCacheSettings.from_mapping(value)
    except ConfigurationInvalid as exc:
        key = exc.key or "shared_cache"
        message = str(exc).removeprefix(f"{key}: ")
        raise checker.fail(key, message) from None


def _parse_pip_command(checker: Checker, value: Any) -> Optional[Union[str, list[str]]]:
    if value is None or value == "" or value == []:
        return None
    checker.expect("pip_command", value, STR_OR_LIST)
    return list(value) if isinstance(value, list) else str(value)


def _parse_credentials(checker: Checker, data: Any) -> Credentials:
    raw = checker.mapping("", data)
    forgejo = checker.mapping("forgejo", raw.get("forgejo"))
    return Credentials(
        github=checker.optional_str("github", raw.get("github")),
        bitbucket_user=checker.optional_str("bitbucket_user", raw.get("bitbucket_user")),
        bitbucket_password=checker.optional_str(
            "bitbucket_password", raw.get("bitbucket_password")
        ),
        forgejo={
            str(forge): str(checker.expect(f"forgejo.{forge}", token, A_STR))
            for forge, token in forgejo.items()
            if token is not None
        },
        gitlab=checker.optional_str("gitlab", raw.get("gitlab")),
    )


def _parse_restart(
    checker: Checker, section: Mapping[str, Any], defaults: RestartCommands
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


def _parse_timeout(checker: Checker, value: Any) -> Timeout:
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
    checker = Checker(source)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigurationInvalid(
            f"expected a mapping at the top level, got {describe(data)}", source=source
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
        settings = parse_section(plugins.get("softwareupdate"), section, restart_defaults)
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
        return parse_section(data["softwareupdate"], section, RestartCommands())
    return parse_section(data, checker, RestartCommands())


def load_yaml(path: Union[str, os.PathLike[str]]) -> Settings:
    """Read ``path`` (a bare section or a whole OctoPrint config) into Settings."""
    source = os.fspath(path)
    return parse_document(read_yaml_file(source), source=source)
