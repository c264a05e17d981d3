"""The ``CAPABILITIES`` of the built-in check types, kept in one light module.

Each check module exposes its value as ``CAPABILITIES`` (the same object); the registry also
hands it to the module's lazy stand-in, so a round answered from the version cache learns
what it needs (cache key, channels, current tracking) without importing the check modules
and the HTTP machinery behind them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..protocols import CheckCapabilities
from ._pypi_environment import installed_in_target


def _without_github_token(kwargs: Mapping[str, Any]) -> bool:
    """No GitHub token: GraphQL needs one, so there is nothing to batch (and nothing to import)."""
    credentials = kwargs.get("credentials")
    return not isinstance(credentials, Mapping) or credentials.get("github") in (None, "")


def _batch_github_releases(checks: Mapping[str, Mapping[str, Any]], **kwargs: Any) -> Any:
    """``github_release`` targets 50 to a GraphQL request (imported only when a token is set)."""
    if _without_github_token(kwargs):
        return {}
    from ._github_batch import batch_releases

    return batch_releases(checks, **kwargs)


def _batch_github_commits(checks: Mapping[str, Mapping[str, Any]], **kwargs: Any) -> Any:
    """``github_commit`` targets 50 to a GraphQL request (imported only when a token is set)."""
    if _without_github_token(kwargs):
        return {}
    from ._github_batch import batch_commits

    return batch_commits(checks, **kwargs)


#: Releases with channels, paged through a list (the global ``max_pages`` is filled in).
RELEASES = CheckCapabilities(channels=True, settings_defaults=("max_pages",))
#: As RELEASES; with a token, cold targets without channels go 50 to a GraphQL request.
GITHUB_RELEASE = CheckCapabilities(
    channels=True, settings_defaults=("max_pages",), batch=_batch_github_releases
)
#: As GitHub; a Forgejo release names its target branch too.
FORGEJO_RELEASE = RELEASES
#: Paged release list; GitLab releases have no target branch, so a channel's ``commitish``
#: is not matched, but the channel keys (``prerelease``, comparisons) are read.
GITLAB_RELEASE = RELEASES
#: ``current`` is the commit installed last: the library records it after an update.
COMMIT = CheckCapabilities(tracks_current="after_update")
#: As COMMIT; with a token, cold targets go 50 to a GraphQL request.
GITHUB_COMMIT = CheckCapabilities(tracks_current="after_update", batch=_batch_github_commits)
#: A local checkout: works offline (compares with the last fetch); current is recorded.
GIT_COMMIT = CheckCapabilities(network=False, tracks_current="after_update")
#: Without ``current`` the first answer counts as installed (learned, then tracked).
LEARNING = CheckCapabilities(tracks_current="learn")
#: A package index; the global ``index_url`` is filled in; "not installed" when unknown;
#: the version installed in the target environment is part of the cache key.
PYPI_RELEASE = CheckCapabilities(
    settings_defaults=("index_url",),
    absent_means_not_installed=True,
    installed_version=installed_in_target,
)
#: A command or plugin code that usually asks a server: offline only with ``offline: true``.
LOCAL_CODE = CheckCapabilities()
#: Answers from the config alone.
CONSTANT = CheckCapabilities(network=False)

#: Module name -> its capabilities.
BY_MODULE: Mapping[str, CheckCapabilities] = {
    "github_release": GITHUB_RELEASE,
    "github_commit": GITHUB_COMMIT,
    "bitbucket_commit": COMMIT,
    "git_commit": GIT_COMMIT,
    "pypi_release": PYPI_RELEASE,
    "httpheader": LEARNING,
    "jsondata": LEARNING,
    "command_line": LOCAL_CODE,
    "python_checker": LOCAL_CODE,
    "always_current": CONSTANT,
    "never_current": CONSTANT,
    "forgejo_release": FORGEJO_RELEASE,
    "forgejo_commit": COMMIT,
    "gitlab_release": GITLAB_RELEASE,
}
