"""The ``pypi_release`` check against a fake PEP 691 index and recorded pypi.org answers."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import vcr

from softwareupdate_core.exceptions import CannotCheckOffline, CheckError, ConfigurationInvalid
from softwareupdate_core.http import HttpClient
from softwareupdate_core.models import VersionInformation
from softwareupdate_core.version_checks import pypi_release
from tests.fakes.pypi import JSON_TYPE, FakeFile, FakeIndex, mount_index
from tests.httpserver import FakeServer, Reply

CASSETTES = Path(__file__).parent / "cassettes"


@pytest.fixture
def index(server: FakeServer) -> FakeIndex:
    return mount_index(server)


def run(
    index_url: str, http: HttpClient, package: str = "demo", **extra: Any
) -> tuple[VersionInformation, bool]:
    online = extra.pop("online", True)
    check = {"type": "pypi_release", "package": package, "index_url": index_url, **extra}
    return pypi_release.get_latest("demo", check, online=online, http=http)


def files(*versions: str, **options: Any) -> list[FakeFile]:
    """An sdist and a wheel per version, with the same options."""
    found = []
    for version in versions:
        found.append(FakeFile(f"demo-{version}.tar.gz", **options))
        found.append(FakeFile(f"demo-{version}-py3-none-any.whl", **options))
    return found


@pytest.mark.parametrize("versions_key", [True, False])
def test_newest_release_is_offered(
    server: FakeServer, http: HttpClient, versions_key: bool
) -> None:
    """The greatest version is offered, read from ``versions`` or derived from file names."""
    index = mount_index(server, versions_key=versions_key)
    index.add_project("demo", files("1.0", "1.10", "1.9"))
    info, is_current = run(index.url, http, current="1.9")
    assert (info.remote.name, info.remote.value, info.remote.release_notes) == (
        "1.10",
        "1.10",
        None,
    )
    assert (info.local.value, is_current) == ("1.9", False)
    assert run(index.url, http, current="1.10")[1] is True


def test_request_asks_for_pep_691_json(index: FakeIndex, http: HttpClient) -> None:
    """The project page is requested at its normalized name with the PEP 691 Accept header."""
    index.add_project("Demo_Pkg.x", [FakeFile("demo_pkg_x-1.0.tar.gz")])
    info, _ = run(index.url, http, package="Demo_Pkg.x")
    assert info.remote.value == "1.0"
    (request,) = index.server.hits()
    assert request.path == "/simple/demo-pkg-x/"
    assert request.header("Accept") == JSON_TYPE


def test_versions_key_limits_the_candidates(index: FakeIndex, http: HttpClient) -> None:
    """With a ``versions`` list, a file of an unlisted version does not count."""
    index.add_project("demo", files("1.0", "2.0"), versions=["1.0"])
    assert run(index.url, http)[0].remote.value == "1.0"


def test_fully_yanked_version_is_ignored(index: FakeIndex, http: HttpClient) -> None:
    """A version whose files are all yanked (flag or reason) is not offered."""
    yanked = files("2.0", yanked=True) + files("1.5", yanked="broken build")
    index.add_project("demo", yanked + files("1.0"))
    assert run(index.url, http)[0].remote.value == "1.0"


def test_partly_yanked_version_still_counts(index: FakeIndex, http: HttpClient) -> None:
    """One good file is enough for a version to be installable."""
    index.add_project(
        "demo", [FakeFile("demo-2.0.tar.gz", yanked=True), FakeFile("demo-2.0-py3-none-any.whl")]
    )
    assert run(index.url, http)[0].remote.value == "2.0"


@pytest.mark.parametrize(
    ("requires", "expected"),
    [(">=99", "1.0"), ("<3", "1.0"), (">=3", "2.0"), ("", "2.0"), ("not a specifier", "2.0")],
)
def test_requires_python_filters_for_this_interpreter(
    index: FakeIndex, http: HttpClient, requires: str, expected: str
) -> None:
    """Files whose requires-python excludes this interpreter do not count (invalid ones do)."""
    index.add_project("demo", files("2.0", requires_python=requires) + files("1.0"))
    assert run(index.url, http)[0].remote.value == expected


@pytest.mark.parametrize(("prerelease", "expected"), [(False, "1.0"), (True, "2.0rc1")])
def test_prereleases_only_when_wanted(
    index: FakeIndex, http: HttpClient, prerelease: bool, expected: str
) -> None:
    """Pre- and dev releases count only with ``prerelease: true``."""
    index.add_project("demo", files("1.0", "2.0rc1", "1.1.dev3"))
    assert run(index.url, http, prerelease=prerelease)[0].remote.value == expected


def test_installed_distribution_is_the_default_local_version(
    index: FakeIndex, http: HttpClient
) -> None:
    """Without ``current`` the local version is the installed distribution's."""
    installed = importlib.metadata.version("attrs")
    index.add_project("attrs", [FakeFile(f"attrs-{installed}.tar.gz")])
    info, is_current = run(index.url, http, package="attrs")
    assert (info.local.value, info.remote.value, is_current) == (installed, installed, True)


def test_package_not_installed_has_unknown_local_version(
    index: FakeIndex, http: HttpClient
) -> None:
    """A package that is not installed has no local version and is not current."""
    index.add_project("surely-not-installed-xyz", [FakeFile("surely_not_installed_xyz-1.0.tar.gz")])
    info, is_current = run(index.url, http, package="surely-not-installed-xyz")
    assert (info.local.value, info.remote.value, is_current) == (None, "1.0", False)


def test_no_installable_release_is_current(index: FakeIndex, http: HttpClient) -> None:
    """If nothing on the page is installable, there is nothing to update to."""
    index.add_project("demo", files("1.0", yanked=True))
    info, is_current = run(index.url, http, current="0.5")
    assert (info.remote.value, is_current) == (None, True)


@pytest.mark.parametrize(
    ("compare", "current", "expected"),
    [
        ("python", "2.0", True),
        ("python_unequal", "2.0", False),
        ("semantic", "1.0.0", True),
        ("unequal", "1.0", True),
        ("unequal", "1.0.1", False),
    ],
)
def test_release_compare_modes(
    index: FakeIndex, http: HttpClient, compare: str, current: str, expected: bool
) -> None:
    """release_compare chooses the scheme deciding is_current."""
    index.add_project("demo", files("1.0"))
    assert run(index.url, http, current=current, release_compare=compare)[1] is expected


def test_force_base(index: FakeIndex, http: HttpClient) -> None:
    """force_base treats a dev build of the released version as current."""
    index.add_project("demo", files("1.0"))
    assert run(index.url, http, current="1.0.dev2")[1] is False
    assert run(index.url, http, current="1.0.dev2", force_base=True)[1] is True


def test_hostile_and_foreign_file_names_are_ignored(index: FakeIndex, http: HttpClient) -> None:
    """File names that are not this project's sdists/wheels never become versions."""
    hostile = [
        "demo-9.0;rm -rf ~.tar.gz",
        "demo-$(reboot).tar.gz",
        "../demo-9.1.tar.gz",
        "demo--index-url=x.tar.gz",
        "other-9.2.tar.gz",
        "demo-9.3.exe",
        "demo-9.4-py3-none-any.whl.metadata",
    ]
    index.versions_key = False
    index.add_project("demo", [FakeFile(name) for name in hostile] + files("1.0"))
    assert run(index.url, http)[0].remote.value == "1.0"


def test_unknown_package_is_named(server: FakeServer, http: HttpClient) -> None:
    """A 404 from the index says the package is not on the index."""
    with pytest.raises(CheckError, match="package 'nothere' is not on the index"):
        run(f"{server.url}/simple", http, package="nothere")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(200, "<!DOCTYPE html><html></html>", {"Content-Type": "text/html"}), "HTML"),
        (Reply(200, '{"files": [{"filename": "demo-1', {"Content-Type": JSON_TYPE}), "JSON"),
        (Reply(200, "[]", {"Content-Type": JSON_TYPE}), "got a JSON list"),
        (Reply(200, '{"name": "demo"}', {"Content-Type": JSON_TYPE}), "'files'"),
        (Reply(500, "oops"), "HTTP 500"),
    ],
)
def test_unusable_answers_are_check_errors(
    server: FakeServer, http: HttpClient, reply: Reply, message: str
) -> None:
    """HTML instead of JSON, broken JSON, wrong shapes and errors raise CheckError."""
    server.route("/simple/demo/", reply)
    with pytest.raises(CheckError, match=message):
        run(f"{server.url}/simple", http)


def test_offline_raises_cannot_check_offline(index: FakeIndex, http: HttpClient) -> None:
    """Offline the check refuses without a request."""
    index.add_project("demo", files("1.0"))
    with pytest.raises(CannotCheckOffline):
        run(index.url, http, online=False)
    assert index.server.hits() == []


@pytest.mark.parametrize("package", [None, "", "bad name", "-e", "../x", ["pip"]])
def test_bad_package_names_are_configuration_errors(http: HttpClient, package: Any) -> None:
    """A missing or malformed package name raises ConfigurationInvalid naming the key."""
    with pytest.raises(ConfigurationInvalid, match=r"checks\.demo\.package"):
        pypi_release.get_latest("demo", {"package": package}, http=http)


# -- recorded answers of pypi.org (re-record: tests/cassettes/README.md) -------------------
def replay(name: str) -> Any:
    """A vcrpy cassette in replay-only mode, so the suite needs no network.

    ``SOFTWAREUPDATE_RECORD_CASSETTES=1`` records them afresh from pypi.org.
    """
    record = os.environ.get("SOFTWAREUPDATE_RECORD_CASSETTES") == "1"
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if record else "none",
        filter_headers=["authorization"],
        decode_compressed_response=True,
        match_on=["method", "scheme", "host", "port", "path", "query"],
    )
    return recorder.use_cassette(f"{name}.yaml", allow_playback_repeats=True)


def test_pypi_pip_recorded(http: HttpClient) -> None:
    """On the recorded pip page the newest release for this Python is offered (26.3 needs 3.10;
    on 3.9 it is 26.0.1), and yanked 20.3.2 is left out."""
    with replay("pypi_release_pip"):
        info, is_current = pypi_release.get_latest(
            "pip", {"package": "pip", "current": "20.3.1"}, http=http
        )
        response = http.get("https://pypi.org/simple/pip/", headers={"Accept": JSON_TYPE})
    newest = "26.3" if sys.version_info >= (3, 10) else "26.0.1"
    assert (info.remote.value, is_current) == (newest, False)
    found = {str(v) for v in pypi_release.installable_versions("pip", "pip", response.json())}
    assert {"20.3.1", newest} <= found
    assert found.isdisjoint({"20.0", "20.3.2", "21.2"})


def test_pypi_attrs_recorded(http: HttpClient) -> None:
    """On the recorded attrs page 26.1.0 is the newest; the installed version is compared."""
    with replay("pypi_release_attrs"):
        info, is_current = pypi_release.get_latest(
            "attrs", {"package": "attrs", "current": "26.1.0"}, http=http
        )
    assert (info.local.value, info.remote.value, is_current) == ("26.1.0", "26.1.0", True)


def test_unpublished_ok_reports_an_unknown_package_as_current(
    server: FakeServer, http: HttpClient
) -> None:
    """With unpublished_ok, a package the index does not know is current, with a note saying so."""
    info, is_current = run(
        f"{server.url}/simple", http, package="nothere", unpublished_ok=True, current="0.1.0"
    )
    assert is_current
    assert info.local.value == info.remote.value == "0.1.0"
    assert info.notes and "not published" in info.notes[0]
