"""Batched ``github_release`` and ``github_commit`` checks through GitHub's GraphQL API.

The check round calls a check type's ``batch`` capability with all its targets due for the
network. With a token, the targets whose REST answer is not already stored (a cold target:
no ETag to make a free conditional request) are asked 50 repositories per GraphQL request
(:mod:`._github_graphql`), grouped by API and token. Every target this does not answer - no
token, release channels (GraphQL releases have no ``target_commitish``), a stored REST
answer, a repository-level error, a batch that fails or a server without GraphQL, no
accepted release among the newest ten - is left to the one-by-one REST check.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal, Optional, Union

import attrs

from .. import http as _http
from ..exceptions import SoftwareUpdateError
from ..models import VersionInformation
from . import _release
from ._checkconfig import commit_information, optional_text, segment, text_or, web_url
from ._github import GitHubRepo, repo_from
from ._github_graphql import DEFAULT_RELEASES, RepoQuery, RepoResult, check_batched

log = logging.getLogger(__name__)

#: What a batch gives per target: the check's answer, or the error of that target.
BatchResult = Union[tuple[VersionInformation, bool], Exception]
#: A REST page read per release target (the URL whose stored answer makes REST cheaper).
_RELEASES_PAGE = "/releases?per_page=100"


@attrs.frozen
class _Planned:
    target: str
    repo: GitHubRepo
    query: RepoQuery
    current: Optional[str]
    selection: Optional[_release.ReleaseSelection] = None


def batch_releases(
    checks: Mapping[str, Mapping[str, Any]], **kwargs: Any
) -> dict[str, BatchResult]:
    """Answers for the ``github_release`` targets GraphQL can check (see the module doc)."""
    return _batch(checks, "releases", **kwargs)


def batch_commits(checks: Mapping[str, Mapping[str, Any]], **kwargs: Any) -> dict[str, BatchResult]:
    """Answers for the ``github_commit`` targets GraphQL can check (see the module doc)."""
    return _batch(checks, "commit", **kwargs)


def _batch(
    checks: Mapping[str, Mapping[str, Any]],
    kind: Literal["releases", "commit"],
    *,
    credentials: Optional[Mapping[str, Any]] = None,
    online: bool = True,
    **kwargs: Any,
) -> dict[str, BatchResult]:
    if not online or not checks:
        return {}
    http = _http.client_from(kwargs)
    groups: dict[tuple[str, str], list[_Planned]] = {}
    for target, check in checks.items():
        try:
            planned = _plan(target, check, kind, credentials, http)
        except SoftwareUpdateError:
            planned = None  # the REST check reports the configuration problem
        if planned is not None and planned.repo.token:
            key = (planned.repo.api_url, planned.repo.token)
            groups.setdefault(key, []).append(planned)
    answers: dict[str, BatchResult] = {}
    for (api_url, token), plans in groups.items():
        queries = [p.query for p in plans]
        try:
            outcome = check_batched(api_url, queries, http.post_json, token=token)
        except SoftwareUpdateError as exc:  # unreachable, rate-limited: REST decides
            log.info("GraphQL at %s failed (%s); checking over REST", api_url, exc)
            continue
        http.note_graphql(outcome.requests, outcome.cost, outcome.points)
        if outcome.fallback:
            log.info(
                "GraphQL at %s: %d repositories go to REST: %s",
                api_url,
                len(outcome.fallback),
                outcome.fallback_reason,
            )
        if outcome.points is not None:
            log.info(
                "GraphQL at %s: %d repositories in %d requests, %d points; %d points left "
                "(a budget apart from REST's quota)",
                api_url,
                len(outcome.results),
                outcome.requests,
                outcome.cost,
                outcome.points.remaining,
            )
        by_query = {id(p.query): p for p in plans}
        for result in outcome.results:
            plan = by_query.get(id(result.query))
            if plan is None:
                continue
            answer = _answer(plan, result)
            if answer is not None:
                answers[plan.target] = answer
    return answers


def _plan(
    target: str,
    check: Mapping[str, Any],
    kind: Literal["releases", "commit"],
    credentials: Optional[Mapping[str, Any]],
    http: _http.HttpClient,
) -> Optional[_Planned]:
    """How to ask about one target, or None when REST is the way (channels, a stored answer)."""
    repo = repo_from(target, check, credentials)
    if kind == "releases":
        selection = _release.selection_from(target, check)
        if selection.commitish is not None:
            return None  # a channel filters by target_commitish, which GraphQL lacks
        if http.validators.get_answer(repo.api_base + _RELEASES_PAGE) is not None:
            return None  # a conditional REST request answers this for free with a token
        current = _release.installed_version(target, check)
        query = RepoQuery(repo.user, repo.repo, "releases", releases=DEFAULT_RELEASES)
        return _Planned(target, repo, query, current, selection)
    branch = text_or(target, check, "branch", "master")
    url = f"{repo.api_base}/commits/{segment(target, 'branch', branch)}"
    if http.validators.get_answer(url) is not None:
        return None
    query = RepoQuery(repo.user, repo.repo, "commit", branch=branch)
    return _Planned(target, repo, query, optional_text(target, check, "current"))


def _answer(plan: _Planned, result: RepoResult) -> Optional[BatchResult]:
    """The target's answer from its batch result; None leaves it to REST."""
    if result.error is not None:
        log.debug("%s: GraphQL answered %s; checking over REST", plan.target, result.error)
        return None
    if plan.query.kind == "commit":
        if result.commit is None:
            return None
        page = web_url(f"{plan.repo.web_base}/commit/{result.commit}")
        return commit_information(plan.current, result.commit, page)
    assert plan.selection is not None
    releases = [attrs.evolve(r, notes_url=web_url(r.notes_url)) for r in result.releases]
    try:
        plausible = _release.plausible(plan.target, releases)
        latest = _release.pick_newest(plausible, plan.selection)
    except SoftwareUpdateError as exc:
        return exc
    if latest is None and len(result.releases) >= plan.query.releases:
        return None  # more releases than were asked: REST pages on to an accepted one
    return _release.information(plan.current, latest, plan.selection)
