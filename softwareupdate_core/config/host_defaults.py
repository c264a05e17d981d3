"""The host defaults: the checks a host ships, below everything a user configures.

A whole OctoPrint ``config.yaml`` stores only what the user changed, so the checks OctoPrint
itself ships (:func:`octoprint_default_checks`) are the bottom layer of its effective
configuration; without any configuration the command checks pip and this library
(:func:`default_checks`).
"""

from __future__ import annotations

from typing import Any, Optional


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
    """The checks of the built-in default: pip and softwareupdate-core on the index.

    No host runs here, so an update needs no restart: the next command uses the new version.
    """
    return {
        "pip": {
            "type": "pypi_release",
            "package": "pip",
            "displayName": "pip",
            "pip": "pip=={target_version}",
            "restart": "none",
        },
        "softwareupdate-core": {
            "type": "pypi_release",
            "package": "softwareupdate-core",
            "displayName": "softwareupdate-core",
            "pip": "softwareupdate-core=={target_version}",
            "unpublished_ok": True,
            "restart": "none",
        },
    }
