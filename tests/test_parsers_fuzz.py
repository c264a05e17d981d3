"""Fuzz test: whatever an HTTP check's server answers, the check returns or raises our errors.

Random JSON documents (fully random, and shaped like the APIs' objects with random leaves),
random bytes, random status codes and random header values are served by one real HTTP
server on 127.0.0.1 for every path; each HTTP check type must answer with
``(VersionInformation, bool)`` or raise a :class:`SoftwareUpdateError`, never anything else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any, Callable

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from softwareupdate_core.exceptions import SoftwareUpdateError
from softwareupdate_core.http import HttpClient
from softwareupdate_core.models import VersionInformation
from softwareupdate_core.version_checks import (
    bitbucket_commit,
    forgejo_commit,
    forgejo_release,
    github_commit,
    github_release,
    gitlab_release,
    httpheader,
    jsondata,
    pypi_release,
)
from tests.httpserver import FakeServer, Reply, Request
from tests.property.strategies import hostile_strings, pep440_versions, semver_versions

#: Keys the checks read from API answers, so shaped documents reach deep into the parsers.
API_KEYS = (
    "tag_name", "name", "prerelease", "draft", "target_commitish", "html_url", "sha", "commit",
    "id", "hash", "links", "html", "href", "self", "_links", "version", "versions", "files",
    "filename", "yanked", "requires-python", "upcoming_release", "url", "description",
    "values", "meta", "type", "target", "released_at", "tag", "message",
)  # fmt: skip

#: Headers the HTTP client and the checks interpret (never ``Location``: no redirects away).
HEADER_NAMES = (
    "ETag", "Last-Modified", "Link", "Content-Type", "Retry-After", "X-RateLimit-Limit",
    "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Remaining", "RateLimit-Reset",
    "RateLimit-Limit", "X-Total-Pages", "X-Next-Page", "Cache-Control", "Date",
)  # fmt: skip

#: Header values: printable Latin-1 (what HTTP allows on the wire), no CR/LF.
header_text = st.text(
    st.characters(min_codepoint=32, max_codepoint=255, exclude_categories=["Cc"]),
    max_size=40,
)
hostile_text = st.sampled_from(
    ["", " ", "-oops", "--upload-pack=x", "../../etc", "1.0\n2.0", "v", "\x00", "1" * 300,
     "1.0.0", "v2.0.0-rc.1", "2.0.0rc1", "0" * 40, "a" * 40, "master", "main", "null"]
)  # fmt: skip
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    hostile_text,
)
documents = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(API_KEYS), st.text(max_size=8)), children,
                        max_size=6),
    ),
    max_leaves=30,
)  # fmt: skip

# Documents in the APIs' shapes with valid-looking or random values, so the parsers get past
# the first type check and their later steps (version parsing, channels, paging) are fuzzed.
versionish = st.one_of(
    pep440_versions(), semver_versions(), pep440_versions().map("v{}".format), hostile_strings(),
    leaves,
)  # fmt: skip
hexish = st.one_of(hostile_text, leaves)
urlish = st.one_of(st.sampled_from(["https://example.invalid/notes", "javascript:x"]), leaves)
flag = st.one_of(st.booleans(), leaves)
release_objects = st.fixed_dictionaries(
    {"tag_name": versionish},
    optional={"name": versionish, "prerelease": flag, "draft": flag, "html_url": urlish,
              "target_commitish": st.one_of(st.sampled_from(["master", "devel"]), leaves),
              "upcoming_release": flag, "description": leaves,
              "_links": st.fixed_dictionaries({}, optional={"self": urlish})},
)  # fmt: skip
hex40 = st.text("0123456789abcdef", min_size=40, max_size=40)
html_links = st.fixed_dictionaries({"html": st.fixed_dictionaries({"href": urlish})})
github_commits = st.fixed_dictionaries(
    {"sha": st.one_of(hex40, hexish)}, optional={"html_url": urlish, "commit": leaves}
)
bitbucket_commits = st.fixed_dictionaries(
    {"hash": st.one_of(hex40, hexish)}, optional={"links": st.one_of(html_links, leaves)}
)
forgejo_branches = st.fixed_dictionaries(
    {"commit": st.one_of(
        st.fixed_dictionaries({"id": st.one_of(hex40, hexish)}, optional={"url": urlish}),
        leaves,
    )},
    optional={"name": leaves},
)  # fmt: skip
file_objects = st.fixed_dictionaries(
    {"filename": st.one_of(versionish.map("demo_package-{}.tar.gz".format),
                           versionish.map("demo_package-{}-py3-none-any.whl".format), leaves)},
    optional={"yanked": st.one_of(flag, st.text(max_size=5)), "url": urlish,
              "requires-python": st.one_of(st.sampled_from([">=3", "<3", ">=3.9,<4", "~=", ""]),
                                           leaves)},
)  # fmt: skip
index_pages = st.fixed_dictionaries(
    {"meta": st.one_of(st.just({"api-version": "1.1"}), leaves), "files": st.lists(file_objects)},
    optional={"name": st.just("demo-package"), "versions": st.lists(versionish, max_size=4)},
)  # fmt: skip
junk = st.one_of(
    documents.map(lambda doc: json.dumps(doc).encode("utf-8")),
    st.binary(max_size=64),
    st.text(max_size=64).map(lambda t: t.encode("utf-8")),
)
#: ``{base}`` is replaced by the server's URL, so "next page" links lead back to it.
link_headers = st.sampled_from(
    ['<{base}/page2>; rel="next"', '<{base}/page2>; rel="last"', "<>; rel=next", "<{base}",
     '<{base}/p?page=2>; rel="next", <{base}/p?page=9>; rel="last"', "garbage; rel"]
)  # fmt: skip
headers = st.dictionaries(
    st.sampled_from(HEADER_NAMES),
    st.one_of(header_text, hostile_text.filter(lambda t: t.isprintable()), link_headers),
    max_size=6,
)
statuses = st.sampled_from([200] * 20 + [201, 204, 304, 400, 401, 403, 404, 410, 429, 500, 503])


@attrs.frozen
class Answer:
    """One random answer the server gives to every request of an example."""

    status: int
    body: bytes
    headers: Mapping[str, str]

    def reply(self, base: str) -> Reply:
        filled = {k: v.replace("{base}", base) for k, v in self.headers.items()}
        return Reply(self.status, self.body, filled)


def answers(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[Answer]:
    """Answers whose body is mostly in ``shape`` (the check's API), else anything."""
    body = st.one_of(shape.map(lambda doc: json.dumps(doc).encode("utf-8")), junk)
    return st.builds(Answer, status=statuses, body=body, headers=headers)


@attrs.frozen
class Case:
    """One HTTP check type: its module, its config for the server at ``base``, its API shape."""

    module: ModuleType
    config: Callable[[str], dict[str, Any]]
    shape: st.SearchStrategy[Any]


RELEASES = st.lists(release_objects, max_size=5)
JSON_VERSION = st.fixed_dictionaries({"version": versionish})

#: Every HTTP check type (some twice, with other options).
CASES: dict[str, Case] = {
    "github_release": Case(
        github_release,
        lambda base: {"type": "github_release", "user": "u", "repo": "r", "api_url": base,
                      "web_url": base, "current": "1.0.0", "max_pages": 3},
        RELEASES,
    ),
    "github_release_prerelease": Case(
        github_release,
        lambda base: {"type": "github_release", "user": "u", "repo": "r", "api_url": base,
                      "web_url": base, "current": "1.0.0", "prerelease": True,
                      "prerelease_channel": "devel", "release_compare": "semantic",
                      "prerelease_branches": [{"branch": "devel", "name": "Devel"}],
                      "max_pages": 3},
        RELEASES,
    ),
    "github_commit": Case(
        github_commit,
        lambda base: {"type": "github_commit", "user": "u", "repo": "r", "api_url": base,
                      "current": "a" * 40},
        github_commits,
    ),
    "bitbucket_commit": Case(
        bitbucket_commit,
        lambda base: {"type": "bitbucket_commit", "user": "u", "repo": "r", "api_url": base,
                      "current": "a" * 40},
        bitbucket_commits,
    ),
    "forgejo_release": Case(
        forgejo_release,
        lambda base: {"type": "forgejo_release", "forge": f"{base}/api/v1", "user": "u",
                      "repo": "r", "current": "1.0.0", "max_pages": 3},
        RELEASES,
    ),
    "codeberg_commit": Case(
        forgejo_commit,
        lambda base: {"type": "codeberg_commit", "forge": f"{base}/api/v1", "user": "u",
                      "repo": "r", "branch": "main"},
        forgejo_branches,
    ),
    "gitlab_release": Case(
        gitlab_release,
        lambda base: {"type": "gitlab_release", "project": "group/project",
                      "api_url": f"{base}/api/v4", "current": "1.0.0", "max_pages": 3,
                      "prerelease": True},
        RELEASES,
    ),
    "pypi_release": Case(
        pypi_release,
        lambda base: {"type": "pypi_release", "package": "Demo_Package",
                      "index_url": f"{base}/simple", "current": "1.0.0"},
        index_pages,
    ),
    "httpheader_head": Case(
        httpheader,
        lambda base: {"type": "httpheader", "header_url": f"{base}/file.py",
                      "header_name": "ETag", "current": "x"},
        documents,
    ),
    "httpheader_get": Case(
        httpheader,
        lambda base: {"type": "httpheader", "url": f"{base}/file.py",
                      "header_name": "last-modified", "header_method": "GET",
                      "header_prefix": ""},
        documents,
    ),
    "jsondata": Case(
        jsondata,
        lambda base: {"type": "jsondata", "jsondata": f"{base}/version.json",
                      "current": "1.0.0"},
        JSON_VERSION,
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[FakeServer]:
    """One server for all examples; each example sets the answer it gives on every path."""
    fake = FakeServer().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_answers_give_a_result_or_a_library_error(
    fuzz_server: FakeServer, name: str, data: st.DataObject
) -> None:
    """Any status, body and headers end in (VersionInformation, bool) or SoftwareUpdateError."""
    case = CASES[name]
    answer = data.draw(answers(case.shape), label="answer")
    reply = answer.reply(fuzz_server.url)

    def serve(_request: Request) -> Reply:
        return reply

    fuzz_server.fallback = serve
    fuzz_server.reset_counts()
    check = case.config(fuzz_server.url)
    with HttpClient(timeout=(5.0, 10.0)) as client:
        try:
            result = case.module.get_latest("t", check, online=True, credentials=None, http=client)
        except SoftwareUpdateError as exc:
            event(f"raised {type(exc).__name__}")  # shown by --hypothesis-show-statistics
            result = None
    assert fuzz_server.hits(), "the check never asked the server"
    if result is not None:
        event("returned a result")
        information, is_current = result
        assert isinstance(information, VersionInformation)
        assert isinstance(is_current, bool)
        remote = information.remote.value or ""
        assert not any(ord(c) < 32 for c in remote), f"control character in {remote!r}"


def test_every_http_check_type_is_fuzzed() -> None:
    """The fuzz table covers each HTTP check type of the registry (no type left out)."""
    from softwareupdate_core.version_checks import BUILTIN_TYPES

    local = {"git_commit", "command_line", "python_checker", "always_current", "never_current"}
    http_modules = {module for module in set(BUILTIN_TYPES.values()) if module not in local}
    fuzzed = {case.module.__name__.rsplit(".", 1)[-1] for case in CASES.values()}
    assert fuzzed == http_modules
