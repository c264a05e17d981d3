"""Version check ``pypi_release``: the newest release pip would install from a package index.

Config keys: ``package`` (mandatory); ``current`` (default: the version installed in the
target environment); ``prerelease`` (default false); ``release_compare`` (default
``python``, with ``custom_compare`` for ``custom``); ``force_base``; ``index_url`` (a PEP 691
JSON or PEP 503 HTML simple index; default the global ``index_url`` setting, else
``https://pypi.org/simple``); ``pip_command`` (its own or the global one: whose environment
counts); ``unpublished_ok`` (default false): when the index does not know the package, report
it as current with a note instead of failing (the built-in default uses it for this library's
own check).

The check sees the index as pip would in the target environment: the interpreter of
``pip_command`` when there is one, else the running interpreter (see
:mod:`._pypi_environment`). A version counts when one of its files is installable there
(:mod:`._pypi_evaluate`); the page is read as JSON or HTML by its content type
(:mod:`._pypi_collect`). Collect, evaluate, choose: the three steps live in those modules and
:func:`get_latest` picks the newest. Offline it raises :class:`CannotCheckOffline`.

What a user sees: a package that is not installed in the target environment is "not
installed" (and never offered as an update); a project with only pre-releases, with
``prerelease`` off, has "no stable release"; a project without any file installable in that
environment has "no installable release", with a note counting what was left out and why; a
project the index does not know is the error "<package> is not on <index>".
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
from collections.abc import Mapping
from typing import Any, Optional

import attrs
from packaging.utils import canonicalize_name
from packaging.version import Version

from .. import http as _http
from .. import versions as _versions
from ..exceptions import CheckError, ConfigurationInvalid
from ..models import RemoteRef, VersionInformation, VersionRef
from . import _capabilities, _release
from ._checkconfig import (
    http_url,
    key_path,
    optional_text,
    parsed_config,
    require_online,
    required_text,
)
from ._pypi_collect import ACCEPT, JSON_TYPE, fetch_project
from ._pypi_environment import MEMO_KEY, TargetEnvironment, target_environment
from ._pypi_evaluate import Evaluation, evaluate

log = logging.getLogger(__name__)

__all__ = [
    "ACCEPT",
    "DEFAULT_INDEX_URL",
    "JSON_TYPE",
    "MEMO_KEY",
    "NOT_INSTALLED",
    "NO_INSTALLABLE_RELEASE",
    "NO_STABLE_RELEASE",
    "get_latest",
    "installed_version",
    "target_environment",
]

DEFAULT_INDEX_URL = "https://pypi.org/simple"
#: The local version's name when the package is not installed in the target environment.
NOT_INSTALLED = "not installed"
#: The remote version's name when only pre-releases are installable and they are not wanted.
NO_STABLE_RELEASE = "no stable release"
#: The remote version's name when no file of the project installs in the target environment.
NO_INSTALLABLE_RELEASE = "no installable release"
#: PEP 508 project names.
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


@attrs.frozen
class Config:
    """The parsed ``pypi_release`` config."""

    package: str
    index_url: str
    selection: _release.ReleaseSelection
    current: Optional[str]
    unpublished_ok: bool


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``package`` (mandatory, a project name), ``index_url``, ``current``, comparison,
    ``unpublished_ok``; ``pip_command``, when set, must name a Python environment."""
    package = required_text(target, check, "package").strip()
    if not _NAME.match(package):
        raise ConfigurationInvalid("expected a package name", key=key_path(target, "package"))
    configured = optional_text(target, check, "index_url")
    index_url = http_url(target, "index_url", configured or DEFAULT_INDEX_URL)
    unpublished_ok = check.get("unpublished_ok", False)
    if not isinstance(unpublished_ok, bool):
        raise ConfigurationInvalid("expected a boolean", key=key_path(target, "unpublished_ok"))
    return Config(
        package,
        index_url,
        # an index has no channels: only prerelease and the comparison keys apply
        attrs.evolve(_release.selection_from(target, check), commitish=None),
        optional_text(target, check, "current"),
        unpublished_ok,
    )


#: Needs the index; reads the global ``index_url``; an unknown installed version means
#: "not installed"; the installed version is part of the cache key. Declared in
#: :mod:`._capabilities` so a round answered from the cache reads it without this import.
CAPABILITIES = _capabilities.PYPI_RELEASE


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare the installed version with the newest release pip would install.

    Keywords a round passes: ``http`` (the HttpClient), ``memo`` (the Manager's memo, where
    target environments are kept) and ``data_folder`` (where they are remembered).
    """
    config = parsed_config(kwargs, Config, parse_config, target, check)
    package, index_url, selection = config.package, config.index_url, config.selection
    configured_current = config.current
    require_online(target, check, online, "pypi_release")
    environment = target_environment(target, check, kwargs)
    current = configured_current or environment.installed_version(package)

    project = canonicalize_name(package)
    page = fetch_project(_http.client_from(kwargs), index_url, project)
    if page is None:
        if config.unpublished_ok:
            return _unpublished(package, current, index_url), True
        raise CheckError(f"{package} is not on {index_url}")
    found = evaluate(page.files, project, environment)
    return _information(package, current, found, selection, environment, index_url)


def installed_version(package: str) -> Optional[str]:
    """The version of ``package`` installed for the running interpreter, or None."""
    try:
        return importlib.metadata.version(package)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def _information(
    package: str,
    current: Optional[str],
    found: Evaluation,
    selection: _release.ReleaseSelection,
    environment: TargetEnvironment,
    index_url: str,
) -> tuple[VersionInformation, bool]:
    """The check's answer from the installable versions."""
    newest = sorted(found.versions, reverse=True)
    latest: Optional[Version] = next(
        (v for v in newest if selection.prerelease or not v.is_prerelease), None
    )
    notes: list[str] = []
    if latest is not None:
        value = str(latest)
        remote = RemoteRef(name=value, value=value)
    elif newest:
        remote = RemoteRef(name=NO_STABLE_RELEASE, value=None)
        notes.append(
            f"{package} has only pre-releases (the newest is {newest[0]}); "
            "set prerelease: true to be offered them"
        )
    else:
        remote = RemoteRef(name=NO_INSTALLABLE_RELEASE, value=None)
        notes.append(
            f"no file of {package} on {index_url} installs in {environment.describe()} "
            f"({found.summary()})"
        )
    if current is None:
        local = VersionRef(name=NOT_INSTALLED, value=None)
        # nothing is installed, so nothing is updated: the target is not offered an update
        return VersionInformation(local=local, remote=remote, notes=tuple(notes)), True
    local = VersionRef(name=current, value=current)
    is_current = remote.value is None or _versions.is_current(
        current,
        remote.value,
        compare=selection.compare,
        force_base=selection.force_base,
        custom=selection.custom,
    )
    return VersionInformation(local=local, remote=remote, notes=tuple(notes)), is_current


def _unpublished(package: str, current: Optional[str], index_url: str) -> VersionInformation:
    """What an ``unpublished_ok`` check reports for a package the index does not know."""
    return VersionInformation(
        local=VersionRef(current, current),
        remote=RemoteRef(current, current),
        notes=(f"{package} is not published on {index_url}",),
    )
