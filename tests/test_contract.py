"""DESIGN.md's public names are all in place (the shared contract checker says so)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "contract_check.py"


def test_contract_check_passes() -> None:
    """Every check type, updater, exception, hook, Manager method and event of DESIGN.md exists."""
    if not CHECKER.exists():
        pytest.fail(f"the shared contract checker is missing at {CHECKER}")
    result = subprocess.run(
        [sys.executable, str(CHECKER), "--quiet"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
