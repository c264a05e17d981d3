"""Fetching a project's page from a simple index, and reading its file list.

The page is asked for as pip asks: PEP 691 JSON preferred, PEP 503 HTML accepted. The
answer's content type decides how it is read; any other content type is an error that names
what was expected and what came. HTML is parsed with the standard library's
:mod:`html.parser`; ``data-requires-python`` and ``data-yanked`` are read from the links.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

import attrs

from ..exceptions import CheckError
from ..http import HttpClient, HttpResponse
from ..redact import redact_urls

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "text/html")
#: What pip sends: JSON first, HTML as the fallback.
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
EXPECTED = f"a PEP 691 JSON page ({JSON_TYPE}) or a PEP 503 HTML page (text/html)"
#: File name endings of the distributions pip reads (see _pypi_evaluate).
_DIST_ENDINGS = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz")


@attrs.frozen
class IndexFile:
    """One file a project page lists."""

    filename: str
    requires_python: Optional[str] = None
    yanked: bool = False


@attrs.frozen
class ProjectPage:
    """The files of one project as an index lists them, and which format the page had."""

    url: str
    files: tuple[IndexFile, ...]
    format: str  # "json" or "html"


def fetch_project(http: HttpClient, index_url: str, project: str) -> Optional[ProjectPage]:
    """The page of the normalised ``project`` on ``index_url``; None when the index has none.

    :raises CheckError: the answer is neither a PEP 691 nor a PEP 503 project page.
    """
    url = f"{index_url}/{project}/"
    response = http.request(
        "GET", url, headers={"Accept": ACCEPT}, conditional=True, ok_statuses=(404,)
    )
    if response.status == 404:
        return None
    return read_page(response)


def read_page(response: HttpResponse) -> ProjectPage:
    """Read a project page by its content type; CheckError for anything else."""
    content_type = response.headers.get("Content-Type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    url = redact_urls(response.url)
    if media == JSON_TYPE:
        return ProjectPage(response.url, parse_json(url, response), "json")
    if media in HTML_TYPES:
        return ProjectPage(response.url, parse_html(url, _decode(response, content_type)), "html")
    got = f"content type {media!r}" if media else "no content type"
    raise CheckError(f"{url}: expected {EXPECTED}, got {got}")


def parse_json(url: str, response: HttpResponse) -> tuple[IndexFile, ...]:
    """The ``files`` of a PEP 691 project page."""
    data = response.json_object("a PEP 691 project page")
    files = data.get("files")
    if not isinstance(files, list):
        # remote text: repr() keeps control characters out of messages
        keys = ", ".join(repr(k[:40]) for k in sorted(map(str, data))[:8])
        raise CheckError(
            f"{url}: expected a PEP 691 project page with a 'files' list, "
            f"got a JSON object with {'keys ' + keys if keys else 'no keys'}"
        )
    found = []
    for entry in files:
        if not isinstance(entry, Mapping):
            continue
        name = _json_filename(entry)
        if not name:
            continue
        requires = entry.get("requires-python")
        found.append(
            IndexFile(
                filename=name,
                requires_python=requires if isinstance(requires, str) else None,
                # PEP 691: true, or a reason; pip treats an empty reason as not yanked
                yanked=bool(entry.get("yanked")),
            )
        )
    return tuple(found)


def _json_filename(entry: Mapping[str, Any]) -> Optional[str]:
    name = entry.get("filename")
    if isinstance(name, str) and name:
        return name
    link = entry.get("url")
    return _link_filename(link) if isinstance(link, str) else None


def _link_filename(href: str) -> Optional[str]:
    """The file name of a link, as pip reads it: the last part of the URL's path."""
    try:
        path = urlsplit(href).path
    except ValueError:
        return None
    name = unquote(posixpath.basename(path.rstrip("/")))
    return name or None


def _decode(response: HttpResponse, content_type: str) -> str:
    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        return response.body.decode(charset, "replace")
    except LookupError:
        return response.body.decode("utf-8", "replace")


class _LinkParser(HTMLParser):
    """Collects the ``<a>`` elements of a PEP 503 page (one parser per page)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.files: list[IndexFile] = []
        self.links = 0
        self.repository_meta = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        if tag == "meta":
            values = dict(attrs)
            if values.get("name") == "pypi:repository-version":
                self.repository_meta = True
            return
        if tag != "a":
            return
        values = dict(attrs)
        href = values.get("href")
        if not href:
            return
        self.links += 1
        name = _link_filename(href)
        if not name:
            return
        requires = values.get("data-requires-python")
        self.files.append(
            IndexFile(
                filename=name,
                requires_python=requires or None,
                # PEP 592: the attribute's presence marks the file, with or without a reason
                yanked="data-yanked" in values,
            )
        )


def parse_html(url: str, text: str) -> tuple[IndexFile, ...]:
    """The links of a PEP 503 project page.

    :raises CheckError: the page has links, but none to a distribution file and no
        ``pypi:repository-version`` marker: a web page rather than a simple index page.
    """
    parser = _LinkParser()
    parser.feed(text)
    parser.close()
    files = tuple(parser.files)
    if (
        parser.links
        and not parser.repository_meta
        and not any(f.filename.lower().endswith(_DIST_ENDINGS) for f in files)
    ):
        raise CheckError(
            f"{url}: expected a PEP 503 project page listing distribution files, "
            f"got an HTML page whose {parser.links} links name no distribution file"
        )
    return files
