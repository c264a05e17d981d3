"""The ``pypi_release`` check against a fake index (JSON and HTML) and recorded pypi.org pages."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import vcr

from softwareupdate_core import Manager
from softwareupdate_core.cli.render import status_words, target_block
from softwareupdate_core.exceptions import (
    ApiCheckError,
    CannotCheckOffline,
    CheckError,
    ConfigurationInvalid,
)
from softwareupdate_core.http import HttpClient
from softwareupdate_core.memo import Memo
from softwareupdate_core.models import VersionInformation
from softwareupdate_core.version_checks import pypi_release
from softwareupdate_core.version_checks._pypi_collect import ACCEPT, fetch_project
from softwareupdate_core.version_checks._pypi_environment import (
    TargetEnvironment,
    TargetEnvironments,
)
from softwareupdate_core.version_checks._pypi_evaluate import evaluate
from tests.fakes.pypi import JSON_TYPE, FakeFile, FakeIndex, mount_index
from tests.httpserver import FakeServer, Reply

CASSETTES = Path(__file__).parent / "cassettes"

#: A Linux x86_64 CPython 3.9 as pip sees it (a few of its tags suffice for these tests).
LINUX_39 = TargetEnvironment(
    python="/opt/py39/bin/python",
    version=(3, 9, 18),
    tags=frozenset(
        {
            "cp39-cp39-manylinux_2_17_x86_64",
            "cp39-cp39-manylinux2014_x86_64",
            "cp39-abi3-manylinux_2_17_x86_64",
            "cp39-none-any",
            "py39-none-any",
            "py3-none-any",
            "py3-none-manylinux_2_17_x86_64",
        }
    ),
    platform="manylinux_2_17_x86_64",
)


def memo_for(environment: TargetEnvironment) -> Memo:
    """A memo whose running environment is ``environment``, as a round would pass it."""
    memo = Memo()
    memo.get_or_create(pypi_release.MEMO_KEY, lambda: TargetEnvironments(running=environment))
    return memo


@pytest.fixture
def index(server: FakeServer) -> FakeIndex:
    return mount_index(server)


def run(
    index_url: str, http: HttpClient, package: str = "demo", **extra: Any
) -> tuple[VersionInformation, bool]:
    online = extra.pop("online", True)
    memo = extra.pop("memo", None)
    check = {"type": "pypi_release", "package": package, "index_url": index_url, **extra}
    kwargs: dict[str, Any] = {"http": http}
    if memo is not None:
        kwargs["memo"] = memo
    return pypi_release.get_latest("demo", check, online=online, **kwargs)


def files(*versions: str, **options: Any) -> list[FakeFile]:
    """An sdist and a pure-Python wheel per version, with the same options."""
    found = []
    for version in versions:
        found.append(FakeFile(f"demo-{version}.tar.gz", **options))
        found.append(FakeFile(f"demo-{version}-py3-none-any.whl", **options))
    return found


@pytest.fixture(params=["negotiate", "html"])
def any_index(request: pytest.FixtureRequest, server: FakeServer) -> FakeIndex:
    """The fake index answering PEP 691 JSON, and the same one answering only PEP 503 HTML."""
    return mount_index(server, form=request.param)


# -- choosing the newest release ------------------------------------------------------------
def test_newest_release_is_offered(any_index: FakeIndex, http: HttpClient) -> None:
    """The greatest installable version is offered, from a JSON and from an HTML index."""
    any_index.add_project("demo", files("1.0", "1.10", "1.9"))
    info, is_current = run(any_index.url, http, current="1.9")
    assert (info.remote.name, info.remote.value, info.remote.release_notes) == (
        "1.10",
        "1.10",
        None,
    )
    assert (info.local.value, is_current) == ("1.9", False)
    assert run(any_index.url, http, current="1.10")[1] is True


def test_request_asks_for_json_first_then_html(index: FakeIndex, http: HttpClient) -> None:
    """The page is asked for at its normalized name with pip's Accept header (JSON, then HTML)."""
    index.add_project("Demo_Pkg.x", [FakeFile("demo_pkg_x-1.0.tar.gz")])
    info, _ = run(index.url, http, package="Demo_Pkg.x")
    assert info.remote.value == "1.0"
    (request,) = index.server.hits()
    assert request.path == "/simple/demo-pkg-x/"
    assert request.header("Accept") == ACCEPT
    assert ACCEPT.startswith(JSON_TYPE) and "text/html" in ACCEPT


def test_versions_come_from_file_names(index: FakeIndex, http: HttpClient) -> None:
    """A file's version counts even when the page's ``versions`` list lacks it, as in pip."""
    index.add_project("demo", files("1.0", "2.0"), versions=["1.0"])
    assert run(index.url, http)[0].remote.value == "2.0"


def test_fully_yanked_version_is_ignored(any_index: FakeIndex, http: HttpClient) -> None:
    """A version whose files are all yanked (flag, reason, or empty HTML reason) is not offered."""
    yanked = files("2.0", yanked=True) + files("1.5", yanked="broken build")
    any_index.add_project("demo", yanked + files("1.0"))
    assert run(any_index.url, http)[0].remote.value == "1.0"


def test_partly_yanked_version_still_counts(any_index: FakeIndex, http: HttpClient) -> None:
    """One good file is enough for a version to be installable."""
    any_index.add_project(
        "demo", [FakeFile("demo-2.0.tar.gz", yanked=True), FakeFile("demo-2.0-py3-none-any.whl")]
    )
    assert run(any_index.url, http)[0].remote.value == "2.0"


@pytest.mark.parametrize(
    ("requires", "expected"),
    [(">=99", "1.0"), ("<3", "1.0"), (">=3", "2.0"), ("", "2.0"), ("not a specifier", "2.0")],
)
def test_requires_python_filters_for_the_target_python(
    any_index: FakeIndex, http: HttpClient, requires: str, expected: str
) -> None:
    """Files whose Requires-Python (JSON key or escaped HTML attribute) excludes it do not count."""
    any_index.add_project("demo", files("2.0", requires_python=requires) + files("1.0"))
    assert run(any_index.url, http)[0].remote.value == expected


@pytest.mark.parametrize(("prerelease", "expected"), [(False, "1.0"), (True, "2.0rc1")])
def test_prereleases_only_when_wanted(
    index: FakeIndex, http: HttpClient, prerelease: bool, expected: str
) -> None:
    """Pre- and dev releases count only with ``prerelease: true``."""
    index.add_project("demo", files("1.0", "2.0rc1", "1.1.dev3"))
    assert run(index.url, http, prerelease=prerelease)[0].remote.value == expected


def test_only_prereleases_is_no_stable_release(index: FakeIndex, http: HttpClient) -> None:
    """A project with only dev releases says "no stable release", not "Up to date"."""
    index.add_project("demo", files("0.1.dev1", "0.2.dev4"))
    info, is_current = run(index.url, http, current="0.1.dev1")
    assert (info.remote.name, info.remote.value, is_current) == ("no stable release", None, True)
    assert "0.2.dev4" in info.notes[0] and "prerelease: true" in info.notes[0]
    assert run(index.url, http, current="0.1.dev1", prerelease=True)[0].remote.value == "0.2.dev4"


# -- pip's file rules -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filename", "version"),
    [
        ("demo-1.0.tar.gz", "1.0"),
        ("demo-1.0.tgz", "1.0"),
        ("demo-1.0.tar.bz2", "1.0"),
        ("demo-1.0.tbz", "1.0"),
        ("demo-1.0.tar.xz", "1.0"),
        ("demo-1.0.tar", "1.0"),
        ("demo-1.0.zip", "1.0"),
        ("Demo-1.0.zip", "1.0"),
        ("demo-2.0.6-1.tar.gz", "2.0.6.post1"),
        ("demo-0.15.1-post1.tar.gz", "0.15.1.post1"),
        ("demo-1.0-py3.9.tar.gz", "1.0"),
        ("demo-1.0-py3-none-any.whl", "1.0"),
        ("demo-1.0-cp39-cp39-manylinux_2_17_x86_64.whl", "1.0"),
        ("demo-1.0-1-py3-none-any.whl", "1.0"),
        # pip matches extensions case-sensitively, so it ignores these (checked with pip 23.2)
        ("demo-1.0.ZIP", None),
        ("demo-1.0.Tar.Gz", None),
        ("demo-1.0.TGZ", None),
        ("demo-1.0.WHL", None),
        ("demo-1.0-py3.8.tar.gz", None),
        ("demo-1.0-cp39-cp39-win_amd64.whl", None),
        ("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", None),
        ("demo-1.0.exe", None),
        ("demo-1.0.win32-py2.7.msi", None),
        ("demo-1.0-py2.7.egg", None),
        ("demo-extra-1.0.tar.gz", None),
        ("demonstration-1.0.tar.gz", None),
        ("demo-1.0-macosx10.zip", None),
    ],
)
def test_file_rules_are_pips(
    index: FakeIndex, http: HttpClient, filename: str, version: str | None
) -> None:
    """A file counts as pip counts it: wheel tags, sdist extensions and names, ``-pyX.Y``."""
    index.add_project("demo", [FakeFile(filename)])
    info, _ = run(index.url, http, memo=memo_for(LINUX_39))
    assert info.remote.value == version


def test_windows_only_project_has_no_installable_release(
    index: FakeIndex, http: HttpClient
) -> None:
    """Only Windows wheels: no update is offered on Linux, and a note says why."""
    index.add_project(
        "demo",
        [
            FakeFile("demo-312-cp39-cp39-win_amd64.whl"),
            FakeFile("demo-312-cp39-cp39-win32.whl"),
            FakeFile("demo-311-cp39-cp39-win_amd64.whl", yanked=True),
        ],
    )
    info, is_current = run(index.url, http, current="300", memo=memo_for(LINUX_39))
    assert (info.remote.name, info.remote.value, is_current) == (
        "no installable release",
        None,
        True,
    )
    (note,) = info.notes
    assert "Python 3.9.18, manylinux_2_17_x86_64" in note
    assert "3 files: 2 wheels for another platform or Python, 1 yanked" in note


def test_hostile_and_foreign_file_names_are_ignored(index: FakeIndex, http: HttpClient) -> None:
    """File names that are not this project's sdists/wheels never become versions."""
    hostile = [
        "demo-9.0;rm -rf ~.tar.gz",
        "demo-$(reboot).tar.gz",
        "demo--index-url=x.tar.gz",
        "other-9.2.tar.gz",
        "demo-9.3.exe",
        "demo-9.4-py3-none-any.whl.metadata",
        "demo-9.5\x1b[2J.tar.gz",
    ]
    index.add_project("demo", [FakeFile(name) for name in hostile] + files("1.0"))
    assert run(index.url, http)[0].remote.value == "1.0"


# -- HTML indexes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type",
    ["text/html", "text/html; charset=utf-8", "application/vnd.pypi.simple.v1+html"],
)
def test_html_only_index_is_read(server: FakeServer, http: HttpClient, content_type: str) -> None:
    """An index that answers only PEP 503 HTML (any of its content types) is read."""
    index = mount_index(server, form="html")
    index.html_type = content_type
    index.add_project("demo", files("1.0", "1.1") + files("2.0", requires_python=">=99"))
    assert run(index.url, http, current="1.0")[0].remote.value == "1.1"


def test_html_links_use_the_file_name_of_the_url(server: FakeServer, http: HttpClient) -> None:
    """As pip does, an HTML link's file name is its URL's last path part (quoted or relative)."""
    page = (
        '<html><body><a href="../../files/demo-1.0.tar.gz#sha256=00">demo-1.0.tar.gz</a>'
        '<a href="https://x.test/p/demo-2.0%2Bcpu-py3-none-any.whl">anything</a>'
        '<a href="demo-3.0.tar.gz" data-yanked>demo-3.0.tar.gz</a>'
        '<a href="demo-4.0.tar.gz" data-requires-python="&gt;=99">demo-4.0.tar.gz</a>'
        "</body></html>"
    )
    server.route("/simple/demo/", Reply(200, page, {"Content-Type": "text/html"}))
    info, _ = run(f"{server.url}/simple", http)
    assert info.remote.value == "2.0+cpu"


# -- the target environment -----------------------------------------------------------------
def test_installed_distribution_is_the_default_local_version(
    index: FakeIndex, http: HttpClient
) -> None:
    """Without ``current`` or ``pip_command`` the local version is this environment's."""
    installed = importlib.metadata.version("attrs")
    index.add_project("attrs", [FakeFile(f"attrs-{installed}.tar.gz")])
    info, is_current = run(index.url, http, package="attrs")
    assert (info.local.value, info.remote.value, is_current) == (installed, installed, True)


def test_package_not_installed_is_not_installed(index: FakeIndex, http: HttpClient) -> None:
    """A package that is not installed reads "not installed" and is never offered an update."""
    index.add_project("surely-not-installed-xyz", [FakeFile("surely_not_installed_xyz-1.0.tar.gz")])
    info, is_current = run(index.url, http, package="surely-not-installed-xyz")
    assert (info.local.name, info.local.value, info.remote.value) == ("not installed", None, "1.0")
    assert is_current is True


# -- messages -------------------------------------------------------------------------------
def test_unknown_package_is_named(server: FakeServer, http: HttpClient) -> None:
    """A 404 from the index reads "<package> is not on <index>"."""
    with pytest.raises(CheckError) as caught:
        run(f"{server.url}/simple", http, package="nothere")
    assert str(caught.value) == f"nothere is not on {server.url}/simple"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(200, '{"files": []}', {"Content-Type": "application/json"}),
            "expected a PEP 691 JSON page (application/vnd.pypi.simple.v1+json) or a PEP 503 "
            "HTML page (text/html), got content type 'application/json'",
        ),
        (Reply(200, "x", {}), "got no content type"),
        (
            Reply(200, '{"files": [{"filename": "demo-1', {"Content-Type": JSON_TYPE}),
            "not valid JSON",
        ),
        (Reply(200, "[]", {"Content-Type": JSON_TYPE}), "got a JSON list"),
        (
            Reply(200, '{"name": "demo", "meta": {}}', {"Content-Type": JSON_TYPE}),
            "expected a PEP 691 project page with a 'files' list, got a JSON object with keys "
            "'meta', 'name'",
        ),
        (
            Reply(200, '<a href="/login">Log in</a>', {"Content-Type": "text/html"}),
            "expected a PEP 503 project page listing distribution files, got an HTML page whose "
            "1 links name no distribution file",
        ),
        (Reply(500, "oops"), "HTTP 500"),
    ],
)
def test_unusable_answers_say_what_was_expected_and_what_came(
    server: FakeServer, http: HttpClient, reply: Reply, message: str
) -> None:
    """Unusable answers raise CheckError (an error status ApiCheckError) saying what came."""
    server.route("/simple/demo/", reply)
    with pytest.raises(ApiCheckError if reply.status >= 400 else CheckError) as caught:
        run(f"{server.url}/simple", http)
    assert message in str(caught.value)


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


# -- through a Manager: global settings, statuses, the command's words ---------------------------
def manager(folder: Path, checks: dict[str, Any], **settings: Any) -> Manager:
    return Manager(
        {"checks": checks, "check_overlay_url": None, **settings},
        data_folder=folder,
        load_entrypoints=False,
    )


def test_global_index_url_is_the_default_and_a_check_may_override_it(
    tmp_path: Path, server: FakeServer
) -> None:
    """The global ``index_url`` serves checks without their own; a check's own wins."""
    first = mount_index(server)
    first.add_project("demo", files("1.0"))
    second = FakeIndex(server, path="/other")
    second.add_project("demo", files("2.0"))
    checks = {
        "a": {"type": "pypi_release", "package": "demo", "current": "0.1"},
        "b": {"type": "pypi_release", "package": "demo", "current": "0.1", "index_url": second.url},
    }
    with manager(tmp_path, checks, index_url=first.url) as m:
        report = m.check()
    assert report.targets["a"].remote_version == "1.0"
    assert report.targets["b"].remote_version == "2.0"


def test_status_words_of_the_new_answers(tmp_path: Path, index: FakeIndex) -> None:
    """The command shows "not installed", "no stable release" and an unknown project plainly."""
    index.add_project("surely-not-installed-xyz", [FakeFile("surely_not_installed_xyz-1.0.tar.gz")])
    index.add_project("demo", files("0.1.dev1"))
    checks = {
        "missing": {"type": "pypi_release", "package": "surely-not-installed-xyz"},
        "dev": {"type": "pypi_release", "package": "demo", "current": "0.1.dev1"},
        "gone": {"type": "pypi_release", "package": "nothere"},
    }
    with manager(tmp_path, checks, index_url=index.url) as m:
        report = m.check()
    missing, dev, gone = (report.targets[n] for n in ("missing", "dev", "gone"))
    assert not missing.update_available and not dev.update_available
    assert "  Installed: not installed" in target_block(missing)
    assert status_words(missing) == "Not installed"
    assert status_words(dev) == "No stable release"
    assert status_words(gone) == f"Check failed: nothere is not on {index.url}"


# -- recorded answers of pypi.org (re-record: tests/cassettes/README.md) -------------------
def replay(name: str) -> Any:
    """A vcrpy cassette in replay-only mode, so the suite needs no network.

    ``SOFTWAREUPDATE_RECORD_CASSETTES=1`` records the first two afresh from pypi.org; the
    ``pypi_page_*`` ones come from ``tests/cassettes/record_pypi_pages.py``.
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
    newest = "26.3" if sys.version_info >= (3, 10) else "26.0.1"
    assert (info.remote.value, is_current) == (newest, False)


def test_pypi_attrs_recorded(http: HttpClient) -> None:
    """On the recorded attrs page 26.1.0 is the newest; the installed version is compared."""
    with replay("pypi_release_attrs"):
        info, is_current = pypi_release.get_latest(
            "attrs", {"package": "attrs", "current": "26.1.0"}, http=http
        )
    assert (info.local.value, info.remote.value, is_current) == ("26.1.0", "26.1.0", True)


@pytest.mark.parametrize("form", ["json", "html"])
@pytest.mark.parametrize(
    ("project", "expected"),
    [
        # every file is a Windows wheel
        ("windows-curses", "no installable release"),
        # 6.x needs 3.12, 5.x needs 3.10: a 3.9 environment gets 4.2.30
        ("django", "4.2.30"),
        # 0.15.1-post1 is an sdist with a dash in its version; 0.16 is the newest
        ("docutils", "0.16"),
        # 3.8.2 (with cp39 manylinux wheels) is yanked
        ("aiohttp", "2.0.7"),
    ],
)
def test_recorded_pages_as_pip_sees_them_on_linux_39(
    http: HttpClient, form: str, project: str, expected: str
) -> None:
    """Recorded real pages, JSON and HTML, give what pip gives a Linux CPython 3.9."""
    with replay(f"pypi_page_{project}_{form}"):
        info, _ = pypi_release.get_latest(
            project,
            {"package": project, "current": "0.1"},
            http=http,
            memo=memo_for(LINUX_39),
        )
    assert info.remote.name == expected


@pytest.mark.parametrize("form", ["json", "html"])
def test_recorded_aiohttp_versions_are_the_ones_pip_finds(http: HttpClient, form: str) -> None:
    """aiohttp-2.0.6-1.tar.gz is 2.0.6.post1; 2.0.6 itself (cp34-cp36 wheels) and yanked 3.8.2
    are not installable on Linux CPython 3.9."""
    with replay(f"pypi_page_aiohttp_{form}"):
        page = fetch_project(http, pypi_release.DEFAULT_INDEX_URL, "aiohttp")
    assert page is not None and page.format == form
    found = evaluate(page.files, "aiohttp", LINUX_39)
    assert sorted(map(str, found.versions)) == ["2.0.5", "2.0.6.post1", "2.0.7"]
    assert dict(found.left_out)["yanked"] == 7


def test_json_entry_without_filename_uses_its_url(server: FakeServer, http: HttpClient) -> None:
    """A PEP 691 file entry without ``filename`` is named by its URL's last path part."""
    body = (
        '{"files": [{"url": "https://x.test/p/demo-3.0.tar.gz#sha256=00", "hashes": {}},'
        ' {"filename": "demo-2.0.tar.gz", "url": "https://x.test/p/other", "hashes": {}}]}'
    )
    server.route("/simple/demo/", Reply(200, body, {"Content-Type": JSON_TYPE}))
    assert run(f"{server.url}/simple", http)[0].remote.value == "3.0"
