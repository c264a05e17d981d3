"""Development sessions: tests, lint, typecheck, docs, bench (``nox -l`` lists them)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = ["3.9", "3.10", "3.11", "3.12", "3.13"]


@nox.session(python=None)
def tests(session: nox.Session) -> None:
    """Run the whole test suite with the current Python."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=None)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the package, tests and tooling."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=None)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and the public-API pin in tests/typing."""
    session.install("-e", ".", "mypy", "types-requests", "types-PyYAML", "pytest")
    session.run("mypy", "--strict", "softwareupdate_core", "tests/typing")


@nox.session(python=None)
def docs(session: nox.Session) -> None:
    """Build docs/ with Sphinx, warnings as errors."""
    session.install("-e", ".[docs]")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session(python=None)
def bench(session: nox.Session) -> None:
    """Run the benchmarks and write benchmarks/RESULTS.md."""
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python=None, reuse_venv=False)
def octoprint(session: nox.Session) -> None:
    """The OctoPrint plugin's tests against live stock OctoPrint 1.11.8, in a fresh virtualenv."""
    session.install("OctoPrint==1.11.8", "pytest>=7.4")
    session.install("-e", ".", "-e", "integrations/octoprint")
    session.run("python", "-m", "pytest", "integrations/octoprint/tests", *session.posargs)
