"""Real OctoPrint plugins' update configurations, run through Manager against the fake GitHub.

Each case is one target of one corpus plugin (``tests/data/real_plugins``) on one release
channel; its id names the plugin, the target and the channel. Every plugin's config is
provided by a plugin object (as OctoPrint's ``get_update_information`` hook provides it), the
user's channel choice sits in the user's ``checks`` section, and the answer is compared with
what issue 9 says a user should see (``tests/real_plugins.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Optional

import pytest

from softwareupdate_core.models import TargetStatus
from tests.fakes.github import Quota, mount_github
from tests.httpserver import FakeServer
from tests.real_plugins import (
    COMMITISH_KEYS,
    LEFT_OUT,
    Case,
    RealPlugin,
    cases,
    expected,
    load_corpus,
    run_cases,
    seed,
)

PLUGINS = load_corpus()
CASES = cases(PLUGINS)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TargetStatus]]:
    """Every corpus case checked once against one seeded fake GitHub."""
    api, web = FakeServer().start(), FakeServer().start()
    try:
        github = mount_github(api)
        github.anonymous = Quota(10_000, 10_000)  # the corpus makes more than 60 requests
        seed(github, web, PLUGINS)
        yield run_cases(CASES, api.url, web.url, tmp_path_factory.mktemp("real"))
    finally:
        api.stop()
        web.stop()


def _params() -> list[Any]:
    return [pytest.param(c, id=c.id) for c in CASES]


def test_corpus_is_big_and_varied() -> None:
    """The corpus has at least 35 plugins and the config shapes issue 9 is about."""
    assert len(PLUGINS) >= 35
    configs = [cfg for p in PLUGINS for cfg in p.checks.values()]
    kinds = {cfg.get("type") for cfg in configs}
    assert {"github_release", "github_commit", "jsondata"} <= kinds
    spelled = {
        key
        for cfg in configs
        for part in [cfg.get("stable_branch") or {}, *(cfg.get("prerelease_branches") or [])]
        for key in COMMITISH_KEYS
        if key in part
    }
    assert spelled == set(COMMITISH_KEYS)
    assert any(cfg.get("release_compare") == "semantic_version" for cfg in configs)
    assert any(cfg.get("update_script") for cfg in configs)
    assert any("{target_version}" in str(cfg.get("pip", "")) for cfg in configs)
    assert all(p.repository.count("/") == 1 and p.path for p in PLUGINS)


@pytest.mark.parametrize("case", _params())
def test_real_plugin_target(case: Case, answers: dict[str, TargetStatus]) -> None:
    """The target reports the remote version, update offer and error a user should see."""
    want = expected(case)
    status = answers.get(case.id)
    if want.error == LEFT_OUT:
        assert status is None, f"{case.target} has no type and must not be reported"
        return
    assert status is not None, f"{case.target} is missing from the report"
    got_remote: Optional[str] = None
    if status.information is not None and status.error is None:
        got_remote = status.information.remote.value
    assert (got_remote, status.update_available, status.error is not None) == (
        want.remote,
        want.update_available,
        want.error is not None,
    ), status.error_message


def _display_version_cases(plugin: RealPlugin) -> dict[str, Mapping[str, Any]]:
    return {t: c for t, c in plugin.checks.items() if c.get("type") and "displayVersion" in c}


def _plugin_params() -> list[Any]:
    out = []
    for plugin in PLUGINS:
        if _display_version_cases(plugin):
            out.append(pytest.param(plugin, id=plugin.name))
    return out


@pytest.mark.parametrize("plugin", _plugin_params())
def test_real_plugin_display_version(plugin: RealPlugin, answers: dict[str, TargetStatus]) -> None:
    """Each target shows the displayVersion the plugin sets, as OctoPrint's list shows it."""
    for target, cfg in _display_version_cases(plugin).items():
        status = answers[f"{plugin.name}:{target}"]
        assert status.display_version == cfg["displayVersion"], target
