"""A fake package index (PEP 691 JSON and PEP 503 HTML simple API) served by the test server.

It answers ``{base}/{normalized name}/`` as real indexes do: JSON when the request accepts
``application/vnd.pypi.simple.v1+json``, HTML otherwise; with ``form="html"`` it is an
HTML-only index that always answers HTML (as piwheels and many self-hosted indexes do).
Projects are made from :class:`FakeFile` lists, or from the file lists of real pypi.org pages
recorded in ``tests/cassettes`` (:func:`recorded_files`).
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional, Union

import attrs
import yaml
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from tests.httpserver import FakeServer, Reply, Request

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"


@attrs.frozen
class FakeFile:
    """One distribution file of a project."""

    filename: str
    requires_python: Optional[str] = None
    yanked: Union[bool, str] = False


@attrs.define
class FakeIndex:
    """The fake index; create with :func:`mount_index`."""

    server: FakeServer
    path: str = "/simple"
    #: Add the API 1.1 ``versions`` key (derived from the file names unless given).
    versions_key: bool = True
    #: ``"negotiate"`` (JSON or HTML by the Accept header) or ``"html"`` (HTML only).
    form: str = "negotiate"
    #: The Content-Type of HTML answers.
    html_type: str = "text/html"

    @property
    def url(self) -> str:
        return f"{self.server.url}{self.path}"

    def add_project(
        self,
        name: str,
        files: Iterable[FakeFile],
        *,
        versions: Optional[list[str]] = None,
    ) -> None:
        """Serve a project with ``files``; ``versions`` overrides the derived version list."""
        normalized = canonicalize_name(name)
        files = list(files)
        json_body = self._json_page(normalized, files, versions)
        html_body = self._html_page(normalized, files)
        form, html_type = self.form, self.html_type

        def answer(request: Request) -> Reply:
            if form != "html" and JSON_TYPE in (request.header("Accept") or ""):
                return Reply(200, json_body, {"Content-Type": JSON_TYPE})
            return Reply(200, html_body, {"Content-Type": html_type})

        self.server.route(f"{self.path}/{normalized}/", answer)

    def add_recorded(self, project: str) -> list[FakeFile]:
        """Serve ``project`` with the files of its recorded pypi.org page; return them."""
        files = recorded_files(project)
        self.add_project(project, files)
        return files

    def _file_url(self, project: str, file: FakeFile) -> str:
        return f"{self.server.url}/files/{project}/{file.filename}"

    def _json_page(self, project: str, files: list[FakeFile], versions: Optional[list[str]]) -> str:
        data: dict[str, Any] = {
            "meta": {"api-version": "1.1" if self.versions_key else "1.0"},
            "name": project,
            "files": [self._file_json(project, f) for f in files],
        }
        if self.versions_key:
            data["versions"] = versions if versions is not None else _versions_of(files)
        return json.dumps(data)

    def _file_json(self, project: str, file: FakeFile) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "filename": file.filename,
            "url": self._file_url(project, file),
            "hashes": {"sha256": _digest(file.filename)},
            "yanked": file.yanked,
        }
        if file.requires_python is not None:
            entry["requires-python"] = file.requires_python
        return entry

    def _html_page(self, project: str, files: list[FakeFile]) -> str:
        links = []
        for file in files:
            href = f"{self._file_url(project, file)}#sha256={_digest(file.filename)}"
            attributes = [f'href="{html.escape(href)}"']
            if file.requires_python:
                attributes.append(f'data-requires-python="{html.escape(file.requires_python)}"')
            if file.yanked is not False:
                reason = file.yanked if isinstance(file.yanked, str) else ""
                attributes.append(f'data-yanked="{html.escape(reason)}"')
            links.append(f"<a {' '.join(attributes)}>{html.escape(file.filename)}</a><br/>")
        return (
            "<!DOCTYPE html>\n<html><head>"
            '<meta name="pypi:repository-version" content="1.0">'
            f"<title>Links for {project}</title></head>\n<body>\n<h1>Links for {project}</h1>\n"
            + "\n".join(links)
            + "\n</body></html>\n"
        )


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _versions_of(files: list[FakeFile]) -> list[str]:
    found: list[str] = []
    for file in files:
        try:
            if file.filename.endswith(".whl"):
                version = str(parse_wheel_filename(file.filename)[1])
            else:
                version = str(parse_sdist_filename(file.filename)[1])
        except (InvalidSdistFilename, InvalidWheelFilename):
            continue
        if version not in found:
            found.append(version)
    return found


def recorded_files(project: str) -> list[FakeFile]:
    """The files of ``project``'s recorded PEP 691 page (``pypi_page_<project>_json.yaml``)."""
    cassette = yaml.safe_load((CASSETTES / f"pypi_page_{project}_json.yaml").read_text())
    body = cassette["interactions"][0]["response"]["body"]["string"]
    return [
        FakeFile(
            entry["filename"],
            requires_python=entry.get("requires-python"),
            yanked=entry.get("yanked") or False,
        )
        for entry in json.loads(body)["files"]
    ]


def mount_index(
    server: FakeServer, *, versions_key: bool = True, form: str = "negotiate"
) -> FakeIndex:
    """A fake index at ``{server.url}/simple``."""
    return FakeIndex(server, versions_key=versions_key, form=form)
