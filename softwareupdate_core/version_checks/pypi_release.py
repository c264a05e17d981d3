"""Version check ``pypi_release``: the newest installable release of a package on an index.

Config keys: ``package`` (mandatory); ``current`` (default: the installed distribution's
version, unknown if it is not installed); ``prerelease`` (default false); ``release_compare``
(default ``python``, with ``custom_compare`` for ``custom``); ``force_base``; ``index_url``
(a PEP 691 JSON simple API, default ``https://pypi.org/simple``); ``unpublished_ok``
(default false): when the index does not know the package, report it as current with a note
instead of failing (the built-in default uses it for this library's own check).

A release counts when one of its files is not yanked and its ``requires-python`` admits the
running interpreter, as pip would see it. Offline it raises :class:`CannotCheckOffline`.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, Optional

import attrs
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .. import http as _http
from ..exceptions import CheckError, ConfigurationInvalid
from ..models import RemoteRef, VersionInformation, VersionRef
from . import _release
from ._checkconfig import http_url, key_path, optional_text, require_online, required_text, text_or

log = logging.getLogger(__name__)

DEFAULT_INDEX_URL = "https://pypi.org/simple"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
#: PEP 508 project names.
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare the local version with the newest installable release on the index."""
    package = required_text(target, check, "package").strip()
    if not _NAME.match(package):
        raise ConfigurationInvalid("expected a package name", key=key_path(target, "package"))
    index_url = http_url(
        target, "index_url", text_or(target, check, "index_url", DEFAULT_INDEX_URL)
    )
    # an index has no channels: only prerelease and the comparison keys apply
    selection = attrs.evolve(_release.selection_from(target, check), commitish=None)
    current = optional_text(target, check, "current") or installed_version(package)
    require_online(target, check, online, "pypi_release")

    url = f"{index_url}/{canonicalize_name(package)}/"
    response = _http.client_from(kwargs).request(
        "GET", url, headers={"Accept": JSON_TYPE}, conditional=True, ok_statuses=(404,)
    )
    if response.status == 404:
        if check.get("unpublished_ok") is True:
            return _unpublished(package, current, index_url), True
        raise CheckError(f"{target}: package {package!r} is not on the index {index_url}")
    if "html" in response.headers.get("Content-Type", "").lower():
        raise CheckError(
            f"{target}: {index_url} answered with an HTML page, not the PEP 691 JSON API"
        )
    data = response.json_object("a PEP 691 project page")
    found = installable_versions(target, package, data)
    candidates = [
        _release.Release(tag=display, name=display, prerelease=version.is_prerelease)
        for version, display in sorted(found.items(), reverse=True)
    ]
    latest = next((r for r in candidates if selection.accepts(r)), None)
    return _release.information(current, latest, selection)


def _unpublished(package: str, current: Optional[str], index_url: str) -> VersionInformation:
    """What an ``unpublished_ok`` check reports for a package the index does not know."""
    return VersionInformation(
        local=VersionRef(current, current),
        remote=RemoteRef(current, current),
        notes=(f"{package} is not published on {index_url}",),
    )


def installed_version(package: str) -> Optional[str]:
    """The version of the installed distribution ``package``, or None if it is not installed."""
    try:
        return importlib.metadata.version(package)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def installable_versions(target: str, package: str, data: Mapping[str, Any]) -> dict[Version, str]:
    """The versions with a usable file: not yanked, ``requires-python`` admits this Python.

    When the page lists ``versions`` (API 1.1), only those count and keep their spelling;
    files are matched to versions by their sdist or wheel file names.
    """
    files = data.get("files")
    if not isinstance(files, list):
        raise CheckError(f"{target}: the index page of {package!r} has no 'files' list")
    listed = _listed_versions(data.get("versions"))
    project = canonicalize_name(package)
    python = "{}.{}.{}".format(*sys.version_info[:3])
    found: dict[Version, str] = {}
    for entry in files:
        if not isinstance(entry, Mapping) or entry.get("yanked"):
            continue
        version = _file_version(entry.get("filename"), project)
        if version is None or not _admits(entry.get("requires-python"), python):
            continue
        if listed is None:
            found.setdefault(version, str(version))
        elif version in listed:
            found.setdefault(version, listed[version])
    return found


def _listed_versions(value: object) -> Optional[dict[Version, str]]:
    if not isinstance(value, list):
        return None
    listed: dict[Version, str] = {}
    for text in value:
        if not isinstance(text, str):
            continue
        try:
            listed.setdefault(Version(text), text)
        except InvalidVersion:
            continue
    return listed


def _file_version(filename: object, project: str) -> Optional[Version]:
    """The version in an sdist or wheel file name of ``project``; None for anything else."""
    if not isinstance(filename, str):
        return None
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
        else:
            return None
    except ValueError:  # InvalidWheelFilename, InvalidSdistFilename, InvalidVersion
        return None
    return version if name == project else None


def _admits(requires_python: object, python: str) -> bool:
    """Whether a file's ``requires-python`` admits ``python`` (pip ignores invalid ones too)."""
    if not isinstance(requires_python, str) or not requires_python.strip():
        return True
    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        log.debug("ignoring invalid requires-python %r", requires_python)
        return True
