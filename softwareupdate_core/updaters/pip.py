"""Update method ``pip``: ``pip install`` the check's requirement for the target version.

Config keys of a check:

* ``pip`` (mandatory): the requirement or URL to install; ``{target_version}`` and
  ``{target}`` are both replaced by the version to install.
* ``pip_command``: the pip to run (a string, split with :func:`shlex.split`, or a list).
  The update round puts the settings-level ``pip_command`` into the check when the check has
  none of its own; without either, the pip of the running interpreter is used
  (``[sys.executable, "-m", "pip"]``).
* ``pip_cwd``: working directory for pip (must exist).
* ``force_reinstall``: always pass ``--force-reinstall`` (as does ``force=True``).
* ``offline``: true when the requirement installs without network (local files), so the
  update may run while the host is offline.
* ``update_timeout``: seconds each pip run may take before it is stopped (default 3600: a
  Raspberry Pi building a wheel can take long). The ``update_script`` method uses it too.

If pip reports that the requested version is already installed (for example a commit-based
check whose package version did not change), pip runs a second time with
``--force-reinstall --no-deps``. ``--user`` is added only when the target environment's
site-packages is not writable and its user site is enabled. No shell is ever involved and
the target version is validated before anything runs. Credentials in the requirement's URL
are masked in every message (:func:`~softwareupdate_core.redact.redact_urls`).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Optional

import attrs
from packaging.version import InvalidVersion, Version

from ..exceptions import ConfigurationInvalid, UpdateError
from ..protocols import UpdaterCapabilities, require_online
from ..redact import redact_urls
from ..util import CommandResult, LogCallback, render_command, run_command, split_command
from ._commands import command_failure, parse_update_timeout
from ._commands import update_timeout as update_timeout  # part of this module's API
from ._hostile import check_remote_value
from ._pip_environment import PROBE_TIMEOUT as PROBE_TIMEOUT  # part of this module's API
from ._pip_environment import SiteInfo as SiteInfo
from ._pip_environment import installed_version_in, message, python_of, site_info_of


def can_perform_update(target: str, check: Mapping[str, Any], online: bool = True) -> bool:
    """True when the config parses, its pip is runnable and the network is there (or not needed)."""
    try:
        config = parse_config(target, check)
    except ConfigurationInvalid:
        return False
    if not online and not config.offline:
        return False
    return shutil.which(config.pip_command[0]) is not None


def perform_update(
    target: str,
    check: Mapping[str, Any],
    target_version: str,
    log_cb: Optional[LogCallback] = None,
    online: bool = True,
    force: bool = False,
) -> None:
    """Install the check's requirement for ``target_version`` with pip.

    The config is parsed first (:func:`parse_config`, as ``validate`` does), so a config
    problem refuses the update before anything runs, with the error ``validate`` reports.

    :raises ConfigurationInvalid: a key :func:`parse_config` refuses, named
        ``checks.<target>.<key>``.
    :raises UpdateError: a hostile version, a pip run past ``update_timeout``, or a failed
        pip run (:class:`~softwareupdate_core.exceptions.ScriptError` with pip's output).
    :raises CannotUpdateOffline: offline, unless the check says ``offline: true``.
    """
    config = parse_config(target, check)
    version = check_remote_value(target_version)
    require_online(target, check, online, "pip", network=not config.offline, update=True)
    spec = _render_requirement(config.requirement, version)
    command = list(config.pip_command)
    forced = force or config.force_reinstall

    options: list[str] = []
    if forced:
        options.append("--force-reinstall")
    if "--user" not in command:
        site = site_info_of(python_of(command), log_cb)
        if site is not None and site.needs_user:
            message(log_cb, f"{site.purelib} is not writable, installing with --user")
            options.append("--user")

    timeout = config.update_timeout
    result = _pip(command, options, spec, config.pip_cwd, log_cb, timeout)
    if not forced and _already_installed(result.stdout):
        message(log_cb, f"{spec} is already installed, reinstalling it")
        _pip(
            command,
            [*options, "--force-reinstall", "--no-deps"],
            spec,
            config.pip_cwd,
            log_cb,
            timeout,
        )


def requirement(check: Mapping[str, Any], target_version: str) -> str:
    """The ``pip`` value of the check with the version filled in."""
    template = check.get("pip")
    if not isinstance(template, str) or not template.strip():
        raise UpdateError("the check has no 'pip' requirement to install")
    return _render_requirement(template, target_version)


def _render_requirement(template: str, target_version: str) -> str:
    """``template`` (a ``pip`` value) with ``{target_version}``/``{target}`` filled in."""
    values = {"target_version": target_version, "target": target_version}
    try:
        spec = render_command([template.strip()], values)[0]
    except ValueError as exc:
        raise UpdateError(redact_urls(f"pip: {exc}")) from None
    if spec.startswith("-"):
        raise UpdateError(redact_urls(f"pip: requirement {spec!r} would be read as an option"))
    return spec


def pip_command(check: Mapping[str, Any]) -> list[str]:
    """The pip command as an argument list: the check's ``pip_command`` or this python's pip."""
    configured = check.get("pip_command")
    if configured is None or configured == "" or configured == []:
        return [sys.executable, "-m", "pip"]
    if not isinstance(configured, (str, Sequence)) or (
        not isinstance(configured, str) and not all(isinstance(p, str) for p in configured)
    ):
        raise UpdateError(f"pip_command must be a string or a list of strings: {configured!r}")
    try:
        return split_command(configured)
    except ValueError as exc:
        raise UpdateError(f"pip_command: {exc}") from None


def python_for(check: Mapping[str, Any]) -> str:
    """The python of the environment the check's pip installs into.

    ``<python> -m pip`` gives ``<python>``; a ``pip`` executable gives the python beside it
    or the one in its ``#!`` line; anything else gives the running interpreter.
    """
    return python_of(pip_command(check))


def site_info(check: Mapping[str, Any], log_cb: Optional[LogCallback] = None) -> Optional[SiteInfo]:
    """Ask the target python where it installs; None (and a log line) if it cannot tell."""
    return site_info_of(python_for(check), log_cb)


def installed_version(check: Mapping[str, Any], distribution: str) -> Optional[str]:
    """The version of ``distribution`` installed in the check's pip environment, or None.

    :raises UpdateError: the target python cannot be run or answered nonsense.
    """
    return installed_version_in(python_for(check), distribution)


def _working_dir(check: Mapping[str, Any]) -> Optional[str]:
    cwd = check.get("pip_cwd")
    if cwd is None or cwd == "":
        return None
    if not isinstance(cwd, (str, os.PathLike)) or not os.path.isdir(cwd):
        raise UpdateError(f"pip_cwd {cwd!r} is not an existing folder")
    return os.fspath(cwd)


def _pip(
    command: list[str],
    options: list[str],
    spec: str,
    cwd: Optional[str],
    log_cb: Optional[LogCallback],
    timeout: float,
) -> CommandResult:
    result = run_command(
        [*command, "install", *options, spec],
        cwd=cwd,
        log_cb=log_cb,
        check=False,
        timeout=timeout,
        own_process_group=True,
    )
    if result.returncode != 0:
        raise command_failure(result, f"pip install {spec}", timeout)
    return result


def _already_installed(stdout: str) -> bool:
    """Whether pip said the requested requirement itself (not a dependency) was already there."""
    for line in stdout.splitlines():
        text = line.strip()
        if text.startswith("Requirement already satisfied:") and "(from " not in text:
            return True
        if "is already installed with the same version" in text:
            return True
    return False


@attrs.frozen
class Config:
    """The parsed ``pip`` update config."""

    requirement: str = attrs.field(repr=False)  # a URL in it may carry a token
    pip_command: tuple[str, ...]
    pip_cwd: Optional[str]
    force_reinstall: bool
    update_timeout: float
    #: ``offline: true``: the requirement installs without the network.
    offline: bool = False
    #: The distribution the update installs (verified afterwards); None when unknown.
    distribution: Optional[str] = None


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read every key the method reads: ``pip`` (mandatory), ``pip_command``, ``pip_cwd``,
    ``force_reinstall``, ``update_timeout``, ``offline`` and ``distribution``; raises
    ConfigurationInvalid naming ``checks.<target>.<key>``."""

    def invalid(key: str, exc: Exception) -> ConfigurationInvalid:
        return ConfigurationInvalid(str(exc), key=f"checks.{target}.{key}")

    try:
        requirement(check, "0")
    except UpdateError as exc:
        raise invalid("pip", exc) from None
    try:
        command = pip_command(check)
    except UpdateError as exc:
        raise invalid("pip_command", exc) from None
    try:
        cwd = _working_dir(check)
    except UpdateError as exc:
        raise invalid("pip_cwd", exc) from None
    for key in ("force_reinstall", "offline"):
        if not isinstance(check.get(key, False), bool):
            raise invalid(key, ValueError(f"expected true or false, got {check[key]!r}"))
    distribution = check.get("distribution")
    if distribution is not None and (not isinstance(distribution, str) or not distribution):
        raise invalid("distribution", ValueError(f"expected a name, got {distribution!r}"))
    return Config(
        str(check["pip"]),
        tuple(command),
        cwd,
        bool(check.get("force_reinstall", False)),
        parse_update_timeout(target, check),
        offline=bool(check.get("offline", False)),
        distribution=_distribution(check),
    )


def environment_pip_version() -> Optional[str]:
    """The version of pip installed alongside this interpreter, or None without pip."""
    from importlib import metadata

    try:
        return metadata.version("pip")
    except metadata.PackageNotFoundError:
        return None


def _below(actual: str, minimum: str) -> bool:
    try:
        return Version(actual) < Version(minimum)
    except InvalidVersion:
        return True


def pip_reason(minimum_pip: str, pip_version: Optional[str]) -> Optional[str]:
    """Why the environment's pip cannot install updates (absent or too old), or None."""
    if pip_version is None:
        return "pip is not installed in this environment, but a target updates with pip"
    if _below(pip_version, minimum_pip):
        return f"pip {pip_version} is older than the required minimum {minimum_pip}"
    return None


def guard(settings: Any) -> Optional[str]:
    """Why pip updates cannot run in this environment now (``minimum_pip``), or None."""
    return pip_reason(str(settings.minimum_pip), environment_pip_version())


def _distribution(check: Mapping[str, Any]) -> Optional[str]:
    """The distribution a pip update installs: a ``pypi_release`` check's ``package``, else
    ``distribution``; None when unknown (the version confirmation is then skipped)."""
    if check.get("type") == "pypi_release" and check.get("package"):
        return str(check["package"])
    value = check.get("distribution")
    return str(value) if value else None


def _is_version(value: str) -> bool:
    try:
        Version(value)
    except InvalidVersion:
        return False
    return True


def _same_version(installed: Optional[str], expected: str) -> bool:
    if installed is None:
        return False
    try:
        return Version(installed) == Version(expected)
    except InvalidVersion:
        return installed == expected


def verify(target: str, check: Mapping[str, Any], target_version: str) -> Optional[str]:
    """After an update: the distribution's installed version must be the one asked for."""
    try:
        config = parse_config(target, check)
    except ConfigurationInvalid as exc:
        return str(exc)
    distribution = config.distribution
    if not distribution:
        return None
    try:
        installed = installed_version_in(python_of(config.pip_command), distribution)
    except Exception as exc:
        return f"cannot read the installed version of {distribution}: {exc}"
    if _is_version(target_version) and not _same_version(installed, target_version):
        return (
            f"after the update {distribution} reports version {installed}, "
            f"expected {target_version}"
        )
    return None


def rollback(
    target: str,
    check: Mapping[str, Any],
    previous_version: str,
    log_cb: Optional[LogCallback] = None,
    online: bool = True,
) -> None:
    """Reinstall ``previous_version`` (forced) after a failed verification."""
    perform_update(target, check, previous_version, log_cb=log_cb, online=online, force=True)


def updates_installer(target: str, check: Mapping[str, Any]) -> bool:
    """The ``pip`` target is updated right after the host, so later installs use the new pip."""
    return target == "pip"


#: Needs the index (unless ``offline: true``); the host restarts to load what was installed;
#: the installed version is verified and rolled back; can install an older version.
CAPABILITIES = UpdaterCapabilities(
    restart="octoprint",
    verify=verify,
    rollback=rollback,
    interpreter=python_for,
    installs_older=True,
    first=updates_installer,
    guard=guard,
)
