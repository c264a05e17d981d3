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

import json
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import attrs
from packaging.version import InvalidVersion, Version

from ..exceptions import ConfigurationInvalid, ScriptError, UpdateError
from ..protocols import UpdaterCapabilities, require_online
from ..redact import redact_urls
from ..util import CommandResult, LogCallback, render_command, run_command, split_command
from ._commands import command_failure, update_timeout
from ._hostile import check_remote_value

#: Seconds allowed for the small probes run with the target python.
PROBE_TIMEOUT = 60.0

_PIP_NAME = re.compile(r"pip[0-9.]*(\.exe)?", re.IGNORECASE)

_SITE_PROBE = (
    "import json, os, site, sysconfig\n"
    "purelib = sysconfig.get_paths()['purelib']\n"
    "print(json.dumps({'purelib': purelib, 'writable': os.access(purelib, os.W_OK),"
    " 'user_site': bool(site.ENABLE_USER_SITE)}))\n"
)

# The distribution name arrives as sys.argv[1], never as part of the code.
_VERSION_PROBE = (
    "import sys\n"
    "from importlib.metadata import PackageNotFoundError, version\n"
    "try:\n"
    "    print(version(sys.argv[1]))\n"
    "except PackageNotFoundError:\n"
    "    sys.exit(3)\n"
)
_NOT_INSTALLED = 3


@attrs.frozen
class SiteInfo:
    """Where the target python installs packages, and whether pip needs ``--user``."""

    purelib: str
    writable: bool
    user_site: bool

    @property
    def needs_user(self) -> bool:
        """True when only a user install can succeed."""
        return not self.writable and self.user_site


def can_perform_update(target: str, check: Mapping[str, Any], online: bool = True) -> bool:
    """True when the check names a requirement, pip is runnable and the network is there."""
    if not check.get("pip"):
        return False
    if not online and check.get("offline") is not True:
        return False
    try:
        command = pip_command(check)
    except UpdateError:
        return False
    return shutil.which(command[0]) is not None


def perform_update(
    target: str,
    check: Mapping[str, Any],
    target_version: str,
    log_cb: Optional[LogCallback] = None,
    online: bool = True,
    force: bool = False,
) -> None:
    """Install the check's requirement for ``target_version`` with pip.

    :raises UpdateError: a hostile version, bad config, a pip run past ``update_timeout``,
        or a failed pip run (:class:`~softwareupdate_core.exceptions.ScriptError` with
        pip's output).
    :raises ConfigurationInvalid: ``update_timeout`` is not a positive number.
    :raises CannotUpdateOffline: offline, unless the check says ``offline: true``.
    """
    version = check_remote_value(target_version)
    timeout = update_timeout(check)
    require_online(target, check, online, "pip", update=True)
    spec = requirement(check, version)
    command = pip_command(check)
    cwd = _working_dir(check)
    forced = force or bool(check.get("force_reinstall", False))

    options: list[str] = []
    if forced:
        options.append("--force-reinstall")
    if "--user" not in command:
        site = site_info(check, log_cb=log_cb)
        if site is not None and site.needs_user:
            _message(log_cb, f"{site.purelib} is not writable, installing with --user")
            options.append("--user")

    result = _pip(command, options, spec, cwd, log_cb, timeout)
    if not forced and _already_installed(result.stdout):
        _message(log_cb, f"{spec} is already installed, reinstalling it")
        _pip(command, [*options, "--force-reinstall", "--no-deps"], spec, cwd, log_cb, timeout)


def requirement(check: Mapping[str, Any], target_version: str) -> str:
    """The ``pip`` value of the check with the version filled in."""
    template = check.get("pip")
    if not isinstance(template, str) or not template.strip():
        raise UpdateError("the check has no 'pip' requirement to install")
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
    command = pip_command(check)
    if len(command) >= 3 and command[1] == "-m" and command[2] == "pip":
        return command[0]
    if _PIP_NAME.fullmatch(Path(command[0]).name):
        found = shutil.which(command[0])
        if found:
            beside = _python_beside(Path(found))
            if beside:
                return beside
    return sys.executable


def _python_beside(pip: Path) -> Optional[str]:
    for name in ("python", "python3", "python.exe"):
        candidate = pip.parent / name
        if candidate.is_file():
            return str(candidate)
    try:
        with pip.open("rb") as handle:
            first = handle.readline(512).decode("utf-8", "replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if not words:
        return None
    if Path(words[0]).name == "env" and len(words) > 1:
        return shutil.which(words[1])
    return words[0] if Path(words[0]).is_file() else None


def site_info(check: Mapping[str, Any], log_cb: Optional[LogCallback] = None) -> Optional[SiteInfo]:
    """Ask the target python where it installs; None (and a log line) if it cannot tell."""
    python = python_for(check)
    try:
        result = run_command([python, "-c", _SITE_PROBE], check=False, timeout=PROBE_TIMEOUT)
    except ScriptError as exc:
        _message(log_cb, f"cannot ask {python} about its site-packages: {exc.stderr}")
        return None
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
        return SiteInfo(str(data["purelib"]), bool(data["writable"]), bool(data["user_site"]))
    except (IndexError, ValueError, KeyError, TypeError):
        _message(log_cb, f"cannot ask {python} about its site-packages: {result.stderr.strip()}")
        return None


def installed_version(check: Mapping[str, Any], distribution: str) -> Optional[str]:
    """The version of ``distribution`` installed in the check's pip environment, or None.

    :raises UpdateError: the target python cannot be run or answered nonsense.
    """
    python = python_for(check)
    result = run_command(
        [python, "-c", _VERSION_PROBE, distribution], check=False, timeout=PROBE_TIMEOUT
    )
    if result.returncode == _NOT_INSTALLED:
        return None
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise UpdateError(
            f"cannot read the installed version of {distribution!r} with {python}",
            data={"stdout": result.stdout, "stderr": result.stderr},
        )
    return lines[-1].strip()


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


def _message(log_cb: Optional[LogCallback], text: str) -> None:
    if log_cb is not None:
        log_cb([redact_urls(text)], stream="message")


@attrs.frozen
class Config:
    """The parsed ``pip`` update config."""

    requirement: str = attrs.field(repr=False)  # a URL in it may carry a token
    pip_command: tuple[str, ...]
    pip_cwd: Optional[str]
    force_reinstall: bool
    update_timeout: float


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``pip`` (mandatory), ``pip_command``, ``pip_cwd``, ``force_reinstall`` and
    ``update_timeout``; raises ConfigurationInvalid naming ``checks.<target>.<key>``."""

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
    force_reinstall = check.get("force_reinstall", False)
    if not isinstance(force_reinstall, bool):
        raise invalid("force_reinstall", ValueError("expected a boolean"))
    return Config(str(check["pip"]), tuple(command), cwd, force_reinstall, update_timeout(check))


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
    distribution = _distribution(check)
    if not distribution:
        return None
    try:
        installed = installed_version(check, distribution)
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
