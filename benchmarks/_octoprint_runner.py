"""Runs inside a venv with OctoPrint 1.11.8: OctoPrint's own check code on a list of cases.

Usage: ``<octoprint-venv>/bin/python _octoprint_runner.py JOB.json`` prints one JSON object,
case id -> ``{"remote", "update_available", "error", "listed"}``. It imports nothing from
softwareupdate-core. The job gives ``api_url`` (the fake GitHub) and, per case, the target
and its check config as the plugin returns it plus the user's channel choice.

OctoPrint's ``github_release`` and ``github_commit`` checks build their URLs from the module
constants ``RELEASE_URL`` and ``BRANCH_HEAD_URL`` (hard-coded to ``https://api.github.com``);
this runner rebinds those two constants to the fake GitHub before any check runs. Everything
else is OctoPrint's code: ``SoftwareUpdatePlugin._populated_check`` (the config changes the
plugin makes before checking, e.g. ``python_unequal`` when leaving prereleases), the check
type's ``get_latest``, and the error kinds ``_get_current_version`` reports. As in
``get_current_versions``, a config without ``type`` is not listed at all.
"""

from __future__ import annotations

import json
import logging
import sys
import types
from typing import Any


def main(job_path: str) -> None:
    logging.disable(logging.CRITICAL)
    from octoprint.plugins import softwareupdate as su  # type: ignore[import-not-found]
    from octoprint.plugins.softwareupdate import (  # type: ignore[import-not-found]
        exceptions,
        version_checks,
    )
    from octoprint.plugins.softwareupdate.version_checks import (  # type: ignore[import-not-found]
        github_commit,
        github_release,
    )

    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    api = job["api_url"].rstrip("/")
    github_release.RELEASE_URL = api + "/repos/{user}/{repo}/releases"
    github_commit.BRANCH_HEAD_URL = api + "/repos/{user}/{repo}/git/refs/heads/{branch}"

    plugin = su.SoftwareUpdatePlugin
    host = types.SimpleNamespace(
        COMMIT_TRACKING_TYPES=plugin.COMMIT_TRACKING_TYPES,
        CURRENT_TRACKING_TYPES=plugin.CURRENT_TRACKING_TYPES,
        RELEASE_TRACKING_TYPES=plugin.RELEASE_TRACKING_TYPES,
        _settings=types.SimpleNamespace(global_get=lambda *a, **k: None),
    )
    errors = [
        (exceptions.UnknownCheckType, "unknown_check"),
        (exceptions.NetworkError, "network"),
        (exceptions.ApiCheckError, "api"),
        (exceptions.RateLimitCheckError, "ratelimit"),
        (exceptions.CheckError, "check"),
        (Exception, "unknown"),
    ]
    out: dict[str, Any] = {}
    for case in job["cases"]:
        target, check = case["target"], case["check"]
        answer: dict[str, Any] = {
            "remote": None,
            "update_available": False,
            "error": None,
            "listed": True,
        }
        out[case["id"]] = answer
        if "type" not in check:
            answer["listed"] = False
            continue
        try:
            populated = plugin._populated_check(host, target, check)
            module = getattr(version_checks, populated["type"], None)
            if module is None:
                raise exceptions.UnknownCheckType()
            information, is_current = module.get_latest(
                target, populated, online=True, credentials=None
            )
            answer["remote"] = information["remote"]["value"]
            answer["update_available"] = not is_current
        except Exception as exc:  # mapped to error kinds as OctoPrint maps them
            answer["error"] = next(kind for cls, kind in errors if isinstance(exc, cls))
            answer["message"] = f"{type(exc).__name__}: {exc}"
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
