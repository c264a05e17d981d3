"""A click test runner that keeps stdout and stderr apart on every supported click version."""

from __future__ import annotations

import inspect

from click.testing import CliRunner


def runner() -> CliRunner:
    """click 8.2+ always separates the streams; click 8.1 (Python 3.9) needs mix_stderr=False."""
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg,unused-ignore]
    return CliRunner()
