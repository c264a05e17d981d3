"""Record real pypi.org project pages (PEP 691 JSON and PEP 503 HTML) as small vcrpy cassettes.

Run from the repository root (needs the network; the test suite never does):

    .venv/bin/python -m tests.cassettes.record_pypi_pages

Each page is recorded with vcrpy, then trimmed: only the files of the versions listed in
``PAGES`` stay (real entries, unchanged), so the cassettes stay small. Trimming keeps the
order and every field of the kept entries; the JSON ``versions`` list is cut to the kept
versions, and ``Content-Length`` is updated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import vcr
import yaml

from softwareupdate_core.http import HttpClient
from softwareupdate_core.version_checks._pypi_collect import ACCEPT

HERE = Path(__file__).parent

#: project -> the versions whose files are kept (as they appear in file names), and
#: optionally a pattern the kept files of a version must match.
PAGES: dict[str, Collection[str]] = {
    # every file is a Windows wheel
    "windows-curses": ("2.3.3", "2.4.0", "2.4.1"),
    # Requires-Python steps: 3.2 (>=3.6), 4.2 (>=3.8), 5.0 and 5.2 (>=3.10), 6.x (>=3.12)
    "django": (
        "3.2.25",
        "4.2.29",
        "4.2.30",
        "5.0.14",
        "5.2.18",
        "5.2.19",
        "6.0.10",
        "6.1.3",
        "6.1rc1",
    ),
    # sdist names with a dash in the version: docutils-0.15.1-post1.tar.gz
    "docutils": ("0.14", "0.15", "0.15.1-post1", "0.15.2", "0.16"),
    # aiohttp-2.0.6-1.tar.gz (2.0.6 has only cp34-cp36 wheels besides); 3.8.2 is yanked
    "aiohttp": ("2.0.5", "2.0.6-1", "2.0.6", "2.0.7", "3.8.2"),
}
#: Of these versions only the files matching the pattern are kept (they have dozens of wheels).
ONLY: dict[tuple[str, str], str] = {
    ("aiohttp", "3.8.2"): r"(cp39-cp39-manylinux|cp39-cp39-win_amd64|\.tar\.gz$)",
}


def _keep(filename: str, project: str, versions: Collection[str]) -> bool:
    prefix = re.escape(project.replace("-", "_"))
    for version in versions:
        pattern = rf"^{prefix}-{re.escape(version)}(-|\.tar|\.zip|\.tgz)"
        if re.match(pattern, filename, re.IGNORECASE):
            only = ONLY.get((project, version))
            return only is None or re.search(only, filename) is not None
    return False


def _trim_json(body: str, project: str, versions: Collection[str]) -> str:
    data = json.loads(body)
    data["files"] = [f for f in data["files"] if _keep(f["filename"], project, versions)]
    kept = {str(v) for f in data["files"] for v in [f["filename"]]}
    if "versions" in data:
        data["versions"] = [v for v in data["versions"] if any(v in name for name in kept)]
    return json.dumps(data)


def _trim_html(body: str, project: str, versions: Collection[str]) -> str:
    # an anchor may span lines (a yanked reason can hold newlines): match whole anchors
    def keep_or_drop(match: re.Match[str]) -> str:
        return match.group(0) if _keep(match.group(1), project, versions) else ""

    return re.sub(r"<a [^>]*>([^<]*)</a>(<br */>)?\n?", keep_or_drop, body, flags=re.DOTALL)


def record(project: str, versions: Collection[str], form: str) -> Path:
    """Record one page as ``pypi_page_<project>_<form>.yaml`` and trim it."""
    path = HERE / f"pypi_page_{project}_{form}.yaml"
    path.unlink(missing_ok=True)
    recorder = vcr.VCR(
        cassette_library_dir=str(HERE),
        record_mode="all",
        filter_headers=["authorization", "cookie", "set-cookie"],
        decode_compressed_response=True,
    )
    accept = ACCEPT if form == "json" else "text/html"
    with recorder.use_cassette(path.name), HttpClient() as http:
        http.get(f"https://pypi.org/simple/{project}/", headers={"Accept": accept})
    cassette: dict[str, Any] = yaml.safe_load(path.read_text())
    for interaction in cassette["interactions"]:
        response = interaction["response"]
        body = response["body"]["string"]
        trimmed = (_trim_json if form == "json" else _trim_html)(body, project, versions)
        response["body"]["string"] = trimmed
        for name in list(response["headers"]):
            if name.lower() == "content-length":
                response["headers"][name] = [str(len(trimmed.encode()))]
    path.write_text(yaml.safe_dump(cassette, sort_keys=True, width=100))
    return path


def main() -> None:
    for project, versions in PAGES.items():
        for form in ("json", "html"):
            path = record(project, versions, form)
            print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
