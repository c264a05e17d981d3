"""The documentation covers the public surface, and its example host adapter works."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import attrs
import pytest

from softwareupdate_core import events, hookspecs
from softwareupdate_core.cli import cli
from softwareupdate_core.config.settings import Settings
from softwareupdate_core.updaters import BUILTIN_METHODS
from softwareupdate_core.version_checks import BUILTIN_TYPES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: Settings fields that are not configuration keys (unknown keys kept, and the file name).
NOT_KEYS = {"extra", "source"}


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def hook_signatures() -> list[str]:
    found = []
    for name in dir(hookspecs):
        if not name.startswith("softwareupdate_"):
            continue
        function = getattr(hookspecs, name)
        params = ", ".join(
            p for p in function.__code__.co_varnames[: function.__code__.co_argcount]
        )
        found.append(f"{name}({params}) -> {function.__annotations__['return']}")
    return found


def test_every_hook_is_documented_with_its_signature() -> None:
    """Each hookspec's name and signature appear in the plugin guide, with a section each."""
    text = page("plugins.md")
    signatures = hook_signatures()
    assert len(signatures) == 3
    for signature in signatures:
        assert f"### `{signature}`" in text, signature


@pytest.mark.parametrize(
    "field", [f.name for f in attrs.fields(Settings) if f.name not in NOT_KEYS]
)
def test_every_setting_is_in_the_configuration_reference(field: str) -> None:
    """Each Settings field is described in the configuration reference."""
    text = page("configuration.md")
    assert re.search(rf"^`{field}`\n: ", text, re.MULTILINE), field


@pytest.mark.parametrize("type_name", sorted(BUILTIN_TYPES))
def test_every_check_type_has_a_section(type_name: str) -> None:
    """Each built-in check type has its own heading in the configuration reference."""
    headings = re.findall(r"^### (.+)$", page("configuration.md"), re.MULTILINE)
    assert any(f"`{type_name}`" in h for h in headings), type_name


@pytest.mark.parametrize("method", BUILTIN_METHODS)
def test_every_update_method_has_a_section(method: str) -> None:
    """Each built-in update method has its own heading in the configuration reference."""
    assert f"### `{method}`" in page("configuration.md")


@pytest.mark.parametrize("event", events.ALL_EVENTS)
def test_every_event_is_documented(event: str) -> None:
    """Each event name and its constant appear in the embedding guide."""
    constant = next(n for n in dir(events) if getattr(events, n) == event and n.isupper())
    text = page("embedding.md")
    assert f"`{event}`" in text and f"`{constant}`" in text


def test_every_command_is_documented() -> None:
    """Each command of the softwareupdate CLI has a section in the command page."""
    text = page("cli.md")
    for name in cli.commands:
        assert re.search(rf"^## `{name}", text, re.MULTILINE), name


def test_getting_started_explains_the_readme_commands() -> None:
    """The getting-started page quotes the README's two set-up commands verbatim."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(python3 -m venv .+)\n```", readme)
    assert len(commands) == 2
    for command in commands:
        assert command in page("getting-started.md")


def test_every_page_is_in_the_toctree() -> None:
    """Every Markdown page and the API page are reachable from the index."""
    index = page("index.md")
    for path in [*DOCS.glob("*.md"), *DOCS.glob("*.rst")]:
        if path.stem != "index":
            assert f"\n{path.stem}\n" in index, path.name


def test_readme_python_example_names_real_api() -> None:
    """The README's Python example compiles and uses attributes that exist."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    compile(code, "README.md", "exec")
    from softwareupdate_core import CheckReport, Manager, TargetStatus

    for name in re.findall(r"\.(\w+)\b", code):
        if name in {"check", "targets", "items", "close", "update"}:
            continue
        assert any(
            hasattr(cls, name) or name in {f.name for f in attrs.fields(TargetStatus)}
            for cls in (Manager, CheckReport, TargetStatus)
        ), name


# --- docs/examples/host_adapter.py ---------------------------------------------------


@pytest.fixture
def adapter() -> Iterator[ModuleType]:
    """The example host adapter, imported from its file."""
    path = DOCS / "examples" / "host_adapter.py"
    spec = importlib.util.spec_from_file_location("host_adapter_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


DEMO = {
    "check_overlay_url": None,
    "minimum_free_storage": 0,
    "checks": {
        "demo": {
            "type": "never_current",
            "local_version": "1.0.0",
            "remote_version": "1.1.0",
            "method": "sleep_a_bit",
            "duration": 0,
            "restart": "octoprint",
        },
        "other": {"type": "always_current", "current_version": "3.0"},
    },
}


def test_example_adapter_checks_updates_and_restarts(
    adapter: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example adapter checks, updates, gets the events and is asked to restart."""
    server = adapter.PrinterServer()
    sink = adapter.EventLog(adapter.notify_user)
    with adapter.make_manager(DEMO, tmp_path, server, sink) as manager:
        report, result = adapter.check_and_update(manager)
    assert report.targets["demo"].update_available
    assert result is not None and result.success
    assert server.restarts == ["octoprint"]
    names = sink.names()
    assert events.UPDATE_SUCCEEDED in names
    assert names.index(events.UPDATE_STARTED) < names.index(events.UPDATE_SUCCEEDED)
    assert "demo was updated to 1.1.0" in capsys.readouterr().out


def test_example_adapter_throttled_host_does_not_update(
    adapter: ModuleType, tmp_path: Path
) -> None:
    """A throttled host makes updates impossible, so the example flow updates nothing."""
    server = adapter.PrinterServer()
    server.undervoltage = True
    sink = adapter.EventLog()
    with adapter.make_manager(DEMO, tmp_path, server, sink) as manager:
        report, result = adapter.check_and_update(manager)
        refused = manager.update(["demo"])
    assert report.targets["demo"].update_available
    assert result is None
    assert refused.refused is not None and not refused.success
    assert server.restarts == []
    assert events.UPDATE_SUCCEEDED not in sink.names()


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    """Sphinx builds docs/ with warnings as errors, as `nox -s docs` does."""
    import subprocess

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-q",
            "-W",
            "--keep-going",
            "-b",
            "html",
            str(DOCS),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "html" / "index.html").exists()
