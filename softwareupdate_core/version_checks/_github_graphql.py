"""Batched GitHub checks: one GraphQL request answers up to 50 repositories.

Anonymous REST clients get 60 requests an hour per address; with a token, GraphQL answers
the releases or the branch head of 50 repositories in one request costing about one point
of a budget separate from REST's. This module builds that query (repositories as aliases
``r0`` … ``r49``; owners, names and branches as variables, never spliced into the text),
sends it through a ``post_json`` callable (so the library's HTTP client can carry it), and
reads the answer per repository.

A repository that fails (not found, no access) is reported in its :class:`RepoResult`; the
others stand. A whole request that fails (no GraphQL API at that URL, a refused token, an
error for the request as a whole, an answer that does not read) raises
:class:`GraphQLUnavailable`: the caller checks those targets over REST instead.

GraphQL release objects have no ``target_commitish``, so checks with release channels stay
on REST; answers carry no ETag, so the free conditional REST path stays the cheaper one for
warm rounds with a token.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Literal, Optional
from urllib.parse import urlsplit, urlunsplit

import attrs

from ..exceptions import ApiCheckError
from ..remote_values import MAX_LENGTH, clean_text
from ._release import Release

#: Most repositories in one request (GitHub allows more aliases; 50 keeps a request's cost at 1).
MAX_BATCH = 50
#: Releases asked per repository (newest first), as one REST page would give.
DEFAULT_RELEASES = 10
#: What a caller passes to send a request: ``post_json(url, payload, headers) -> (status, json)``.
PostJson = Callable[[str, Mapping[str, Any], Mapping[str, str]], tuple[int, Any]]

_HEX = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_ALIAS = re.compile(r"r(\d+)")


class GraphQLUnavailable(ApiCheckError):
    """The GraphQL API cannot answer this batch: check its targets over REST instead."""


@attrs.frozen
class RepoQuery:
    """One repository to ask about: its releases, or the head commit of a branch."""

    user: str
    repo: str
    kind: Literal["releases", "commit"] = "releases"
    #: For ``commit``: the branch (a short or ``refs/heads/…`` name); None = default branch.
    branch: Optional[str] = None
    #: For ``releases``: how many, newest first (1 to 100).
    releases: int = attrs.field(default=DEFAULT_RELEASES)

    @releases.validator
    def _check_releases(self, _attribute: Any, value: int) -> None:
        if not 1 <= value <= 100:
            raise ValueError("releases must be 1 to 100")


@attrs.frozen
class RepoResult:
    """What the batch said about one repository; ``error`` is set when it failed."""

    query: RepoQuery
    releases: tuple[Release, ...] = ()
    #: For ``commit``: the branch head's commit id.
    commit: Optional[str] = None
    error: Optional[str] = None


@attrs.frozen
class GraphQLPoints:
    """GraphQL's point budget as the last answer reported it (separate from REST's quota)."""

    cost: int
    remaining: int
    #: Epoch seconds when the budget refills.
    reset_at: float
    limit: Optional[int] = None


@attrs.frozen
class BatchOutcome:
    """All batches of a round: per-repository results, what to check over REST, the points."""

    results: tuple[RepoResult, ...] = ()
    #: Queries no GraphQL answer covered (a request failed): check them over REST.
    fallback: tuple[RepoQuery, ...] = ()
    fallback_reason: Optional[str] = None
    requests: int = 0
    #: Points all batches cost, and the budget after the last answer.
    cost: int = 0
    points: Optional[GraphQLPoints] = None


def graphql_url(api_url: str) -> str:
    """The GraphQL endpoint beside a REST API base URL.

    >>> graphql_url("https://api.github.com")
    'https://api.github.com/graphql'
    >>> graphql_url("https://ghe.example.com/api/v3/")
    'https://ghe.example.com/api/graphql'
    """
    parts = urlsplit(api_url)
    path = parts.path.rstrip("/")
    path = path[: -len("/v3")] + "/graphql" if path.endswith("/api/v3") else path + "/graphql"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def build_query(queries: Sequence[RepoQuery]) -> tuple[str, dict[str, str]]:
    """The GraphQL document and its variables for up to :data:`MAX_BATCH` repositories."""
    if not 1 <= len(queries) <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} repositories, not {len(queries)}")
    params: list[str] = []
    fields: list[str] = []
    variables: dict[str, str] = {}
    for n, query in enumerate(queries):
        params += [f"$o{n}: String!", f"$n{n}: String!"]
        variables[f"o{n}"] = query.user
        variables[f"n{n}"] = query.repo
        if query.kind == "releases":
            selection = (
                f"releases(first: {int(query.releases)}, "
                "orderBy: {field: CREATED_AT, direction: DESC}) "
                "{ nodes { tagName name isPrerelease isDraft url publishedAt } }"
            )
        elif query.branch is not None:
            params.append(f"$b{n}: String!")
            variables[f"b{n}"] = query.branch
            selection = f"ref(qualifiedName: $b{n}) {{ target {{ oid }} }}"
        else:
            selection = "defaultBranchRef { target { oid } }"
        fields.append(f"  r{n}: repository(owner: $o{n}, name: $n{n}) {{ {selection} }}")
    document = (
        f"query({', '.join(params)}) {{\n"
        "  rateLimit { cost remaining resetAt limit }\n" + "\n".join(fields) + "\n}"
    )
    return document, variables


def fetch_batch(
    api_url: str, queries: Sequence[RepoQuery], post_json: PostJson, *, token: Optional[str]
) -> tuple[list[RepoResult], Optional[GraphQLPoints]]:
    """Ask about up to 50 repositories in one request; raises :class:`GraphQLUnavailable`."""
    if not token:
        raise GraphQLUnavailable("GitHub's GraphQL API needs a token")
    document, variables = build_query(queries)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    status, payload = post_json(
        graphql_url(api_url), {"query": document, "variables": variables}, headers
    )
    return parse_answer(queries, status, payload)


def parse_answer(
    queries: Sequence[RepoQuery], status: int, payload: Any
) -> tuple[list[RepoResult], Optional[GraphQLPoints]]:
    """Read a GraphQL answer per repository; a failed request raises GraphQLUnavailable."""
    if status != 200:
        detail = _message(payload.get("message")) if isinstance(payload, Mapping) else ""
        raise GraphQLUnavailable(
            f"GraphQL request answered HTTP {status}" + (f": {detail}" if detail else ""),
            status=status,
            api_message=detail,
        )
    if not isinstance(payload, Mapping):
        raise GraphQLUnavailable("GraphQL answer is not a JSON object")
    data = payload.get("data")
    errors = payload.get("errors") or []
    if not isinstance(errors, list):
        raise GraphQLUnavailable("GraphQL answer has a malformed errors list")
    per_repo: dict[int, str] = {}
    for error in errors:
        index = _error_alias(error, len(queries))
        if index is None:
            what = _message(error.get("message")) if isinstance(error, Mapping) else ""
            raise GraphQLUnavailable(f"GraphQL request failed: {what or 'unknown error'}")
        per_repo.setdefault(index, _error_text(error))
    if not isinstance(data, Mapping):
        raise GraphQLUnavailable("GraphQL answer holds no data")
    results = [
        _repo_result(query, data.get(f"r{n}"), per_repo.get(n)) for n, query in enumerate(queries)
    ]
    return results, _points(data.get("rateLimit"))


def check_batched(
    api_url: str, queries: Sequence[RepoQuery], post_json: PostJson, *, token: Optional[str]
) -> BatchOutcome:
    """Ask about all ``queries`` in batches of :data:`MAX_BATCH`.

    When a request fails, no further batch is sent: its queries and the rest go to
    ``fallback`` (to be checked over REST), with the reason.
    """
    results: list[RepoResult] = []
    requests = 0
    cost = 0
    points: Optional[GraphQLPoints] = None
    for start in range(0, len(queries), MAX_BATCH):
        batch = queries[start : start + MAX_BATCH]
        try:
            requests += 1 if token else 0
            found, answered = fetch_batch(api_url, batch, post_json, token=token)
        except GraphQLUnavailable as exc:
            return BatchOutcome(
                tuple(results), tuple(queries[start:]), str(exc), requests, cost, points
            )
        results += found
        if answered is not None:
            points = answered
            cost += answered.cost
    return BatchOutcome(tuple(results), (), None, requests, cost, points)


# -- reading the answer ------------------------------------------------------------------------


def _message(value: Any) -> str:
    """A server's message, made safe to show: one line, no control characters, 200 at most."""
    if not isinstance(value, str):
        return ""
    text = clean_text(value).strip()
    return text[:MAX_LENGTH] + ("..." if len(text) > MAX_LENGTH else "")


def _error_alias(error: Any, count: int) -> Optional[int]:
    """The index of the repository an error belongs to, or None for a request-wide error."""
    if not isinstance(error, Mapping):
        return None
    path = error.get("path")
    if not isinstance(path, list) or not path or not isinstance(path[0], str):
        return None
    match = _ALIAS.fullmatch(path[0])
    if match is None or int(match.group(1)) >= count:
        return None
    return int(match.group(1))


def _error_text(error: Mapping[str, Any]) -> str:
    kind = _message(error.get("type"))
    message = _message(error.get("message")) or "error"
    return f"{kind}: {message}" if kind else message


def _repo_result(query: RepoQuery, node: Any, error: Optional[str]) -> RepoResult:
    if error is not None:
        return RepoResult(query, error=error)
    if not isinstance(node, Mapping):
        return RepoResult(query, error="repository not found")
    try:
        if query.kind == "releases":
            return RepoResult(query, releases=_releases(node.get("releases")))
        ref = node.get("ref") if query.branch is not None else node.get("defaultBranchRef")
        if ref is None:
            return RepoResult(query, error=f"branch {query.branch or '(default)'} not found")
        return RepoResult(query, commit=_oid(ref))
    except (TypeError, ValueError) as exc:
        return RepoResult(query, error=f"unexpected answer: {exc}")


def _releases(connection: Any) -> tuple[Release, ...]:
    if not isinstance(connection, Mapping) or not isinstance(connection.get("nodes"), list):
        raise ValueError("no release list")
    found = []
    for node in connection["nodes"]:
        if not isinstance(node, Mapping) or not isinstance(node.get("tagName"), str):
            raise ValueError("a release without a tag name")
        name = node.get("name")
        url = node.get("url")
        found.append(
            Release(
                tag=node["tagName"],
                name=name if isinstance(name, str) and name else node["tagName"],
                prerelease=node.get("isPrerelease") is True,
                draft=node.get("isDraft") is True,
                notes_url=url if isinstance(url, str) else None,
            )
        )
    return tuple(found)


def _oid(ref: Any) -> str:
    target = ref.get("target") if isinstance(ref, Mapping) else None
    oid = target.get("oid") if isinstance(target, Mapping) else None
    if not isinstance(oid, str) or not _HEX.fullmatch(oid):
        raise ValueError("the branch head is not a commit id")
    return oid


def _points(value: Any) -> Optional[GraphQLPoints]:
    if not isinstance(value, Mapping):
        return None
    try:
        reset = dt.datetime.fromisoformat(str(value["resetAt"]).replace("Z", "+00:00"))
        limit = value.get("limit")
        return GraphQLPoints(
            cost=int(value["cost"]),
            remaining=int(value["remaining"]),
            reset_at=reset.timestamp(),
            limit=int(limit) if limit is not None else None,
        )
    except (KeyError, TypeError, ValueError):
        return None
