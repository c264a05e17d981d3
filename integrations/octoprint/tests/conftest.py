"""Fixtures: the fake forge and live OctoPrint servers (stock and with the plugin)."""

from __future__ import annotations

import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from live import (
    FakeFile,
    FakeRelease,
    Forge,
    LiveOctoPrint,
    base_config,
    github_targets,
    gitlab_release,
)

from tests.fakes.github import Quota
from tests.wheels import build_wheel, make_venv, wheel_filename

with warnings.catch_warnings():
    # OctoPrint's IPv6 probe (run on import) leaves a socket to the garbage collector
    warnings.simplefilter("ignore", ResourceWarning)
    import octoprint.util.net  # noqa: F401

#: The token OctoPrint sends to the fake GitHub (so a 304 costs no rate limit there).
GITHUB_TOKEN = "ghp_testtoken0123456789"
GITHUB_TARGETS = 5


@attrs.frozen
class DemoPackage:
    """A throwaway distribution installed at 1.0 in its own virtualenv, 2.0 on the index."""

    python: Path
    wheels: Path
    name: str = "demo-pkg"

    def installed_version(self) -> str:
        code = "import demo_pkg; print(demo_pkg.__version__)"
        done = subprocess.run(
            [str(self.python), "-c", code], capture_output=True, text=True, timeout=60
        )
        return done.stdout.strip()


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forge]:
    forge = Forge.start(tmp_path_factory.mktemp("forge"))
    forge.github.token = GITHUB_TOKEN
    forge.github.authenticated = Quota(100000, 100000)
    forge.github.anonymous = Quota(100000, 100000)
    forge.github.add_repo("foosel", "OctoPrint", [FakeRelease("1.11.8")])
    forge.gitlab.set_releases(
        "group/demo",
        [gitlab_release("2.1.0"), gitlab_release("2.0.0"), gitlab_release("1.0.0")],
    )
    yield forge
    forge.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, forge: Forge) -> DemoPackage:
    folder = tmp_path_factory.mktemp("demo")
    wheels = folder / "wheels"
    for version in ("1.0", "2.0"):
        build_wheel(wheels, "demo-pkg", version, "")
    python = make_venv(folder / "venv")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", "--no-deps",
         str(wheels / wheel_filename("demo-pkg", "1.0"))],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    forge.index.add_project(
        "demo-pkg", [FakeFile(wheel_filename("demo-pkg", v)) for v in ("1.0", "2.0")]
    )
    return DemoPackage(python=python, wheels=wheels)


def checks(forge: Forge, demo: DemoPackage) -> dict[str, Any]:
    """The targets both servers configure (besides OctoPrint's own ``octoprint`` and ``pip``)."""
    targets: dict[str, Any] = github_targets(forge, GITHUB_TARGETS)
    targets["gitlab_demo"] = {
        "type": "gitlab_release",
        "project": "group/demo",
        "api_url": forge.gitlab.api_url,
        "current": "1.0.0",
        "displayName": "GitLab demo",
        "pip": "https://example.invalid/gitlab-demo/{target_version}.zip",
    }
    targets["mystery"] = {
        "type": "no_such_type",
        "current": "1.0",
        "displayName": "Mystery",
        "pip": "https://example.invalid/mystery/{target_version}.zip",
    }
    targets["demo"] = {
        "type": "pypi_release",
        "package": demo.name,
        "index_url": forge.index.url,
        "current": "1.0",
        "displayName": "Demo package",
        "pip": str(demo.wheels / "demo_pkg-{target_version}-py3-none-any.whl"),
        "pip_command": f"{demo.python} -m pip",
    }
    return targets


def server(
    tmp_path_factory: pytest.TempPathFactory, forge: Forge, demo: DemoPackage, engine: Any
) -> LiveOctoPrint:
    config = base_config(forge, plugin=engine, checks=checks(forge, demo))
    config["plugins"]["softwareupdate"]["credentials"] = {"github": GITHUB_TOKEN}
    basedir = tmp_path_factory.mktemp(f"octoprint-{engine or 'stock'}")
    return LiveOctoPrint.start(basedir, config, forge)


@pytest.fixture(scope="module")
def stock(
    tmp_path_factory: pytest.TempPathFactory, forge: Forge, demo: DemoPackage
) -> Iterator[LiveOctoPrint]:
    live = server(tmp_path_factory, forge, demo, None)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def core(
    tmp_path_factory: pytest.TempPathFactory, forge: Forge, demo: DemoPackage
) -> Iterator[LiveOctoPrint]:
    live = server(tmp_path_factory, forge, demo, "core")
    yield live
    live.stop()
