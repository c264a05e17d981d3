"""A fake PEP 691 package index (the JSON simple API) served by the test HTTP server.

It answers ``{base}/{normalized name}/`` with JSON when the request accepts
``application/vnd.pypi.simple.v1+json`` and with an HTML page otherwise, as real indexes do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Optional, Union

import attrs
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from tests.httpserver import FakeServer, Reply, Request

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


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
        listed = versions if versions is not None else _versions_of(files)
        data: dict[str, Any] = {
            "meta": {"api-version": "1.1" if self.versions_key else "1.0"},
            "name": normalized,
            "files": [self._file_json(normalized, f) for f in files],
        }
        if self.versions_key:
            data["versions"] = listed
        body = json.dumps(data)

        def answer(request: Request) -> Reply:
            if JSON_TYPE in (request.header("Accept") or ""):
                return Reply(200, body, {"Content-Type": JSON_TYPE})
            links = "".join(f'<a href="#">{f.filename}</a><br/>' for f in files)
            return Reply(
                200,
                f"<!DOCTYPE html><html><body>{links}</body></html>",
                {"Content-Type": "text/html"},
            )

        self.server.route(f"{self.path}/{normalized}/", answer)

    def _file_json(self, project: str, file: FakeFile) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "filename": file.filename,
            "url": f"{self.server.url}/files/{project}/{file.filename}",
            "hashes": {"sha256": hashlib.sha256(file.filename.encode()).hexdigest()},
            "yanked": file.yanked,
        }
        if file.requires_python is not None:
            entry["requires-python"] = file.requires_python
        return entry


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


def mount_index(server: FakeServer, *, versions_key: bool = True) -> FakeIndex:
    """A fake index at ``{server.url}/simple``."""
    return FakeIndex(server, versions_key=versions_key)
