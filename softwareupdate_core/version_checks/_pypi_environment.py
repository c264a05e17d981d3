"""The Python environment a ``pypi_release`` check judges releases for: pip's target.

A check whose package pip installs with an explicit ``pip_command`` (its own or the global
one) is judged for the interpreter that pip runs with: its Python version (for
``Requires-Python``), the wheel tags it supports and the version installed there. Without
``pip_command`` that is the running interpreter, asked in-process.

Another interpreter is asked once, with one bounded subprocess, for its version, its wheel
tags (computed with ``packaging.tags`` inside that interpreter, as its pip computes them) and
its import path. The answer is kept per Manager in memory and in the data folder, keyed by the
interpreter's path and the modification time and size of the executable it resolves to, so
later rounds and later processes run no subprocess at all. Installed versions are read at each
check from the distribution metadata on that import path, so an update is seen at once.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Optional

import attrs

from ..exceptions import CheckError, ConfigurationInvalid, ScriptError, UpdateError
from ..util import run_command

log = logging.getLogger(__name__)

#: File in the data folder that keeps what each target interpreter supports.
ENVIRONMENTS_FILE = "python_environments.json"
#: Key of the per-Manager memo that holds the target environments.
MEMO_KEY = "pypi_release.environments"
#: Seconds the probe of a target interpreter may take (a cold start on a busy Pi is slow).
PROBE_TIMEOUT = 60.0
#: Most interpreters remembered in the data folder; the oldest answers go first.
MAX_REMEMBERED = 32
_KIND = "softwareupdate-core/python-environments"

# Runs inside the target interpreter with ``-c``; the folder holding this library's
# ``packaging`` arrives as sys.argv[1] and is used only when that interpreter has no copy.
# The tags are the ones its pip uses; the version, implementation and import path are read
# as they are. The answer is one JSON line on stdout.
_PROBE = r"""
import json, sys
sys.path[:] = [p for p in sys.path if p not in ("", ".")]
def _tags():
    try:
        from pip._internal.utils.compatibility_tags import get_supported
        return [str(t) for t in get_supported()], "pip"
    except Exception:
        pass
    for name in ("pip._vendor.packaging.tags", "packaging.tags"):
        try:
            module = __import__(name, fromlist=["sys_tags"])
            return [str(t) for t in module.sys_tags()], name
        except Exception:
            pass
    sys.path.append(sys.argv[1])
    from packaging.tags import sys_tags
    return [str(t) for t in sys_tags()], "packaging (of softwareupdate-core)"
tags, source = _tags()
print(json.dumps({
    "version": list(sys.version_info[:3]),
    "implementation": sys.implementation.name,
    "tags": tags,
    "tags_from": source,
    "paths": [p for p in sys.path if p],
}))
"""


@attrs.frozen
class TargetEnvironment:
    """What one Python environment installs: its version, wheel tags and import path."""

    #: The interpreter, as configured (a venv's ``bin/python``, not what it links to).
    python: str
    version: tuple[int, int, int]
    #: Supported wheel tags as ``interpreter-abi-platform`` strings.
    tags: frozenset[str] = attrs.field(repr=False)
    #: The most specific platform tag, for messages (``manylinux_2_35_x86_64``).
    platform: str = "any"
    #: Where its distributions' metadata lives; empty for the running interpreter.
    paths: tuple[str, ...] = attrs.field(default=(), repr=False)
    running: bool = False

    @property
    def python_version(self) -> str:
        """``3.9.18``: what ``Requires-Python`` is tested against."""
        return "{}.{}.{}".format(*self.version)

    @property
    def py_version(self) -> str:
        """``3.9``: pip's short version, for sdists named ``<name>-<version>-py3.9``."""
        return "{}.{}".format(*self.version[:2])

    def describe(self) -> str:
        """How messages name this environment."""
        where = "this Python" if self.running else self.python
        return f"{where} (Python {self.python_version}, {self.platform})"

    def installed_version(self, distribution: str) -> Optional[str]:
        """The version of ``distribution`` installed in this environment, or None."""
        try:
            if self.running:
                return importlib.metadata.version(distribution)
            found = importlib.metadata.distributions(name=distribution, path=list(self.paths))
            for dist in found:
                version = dist.metadata["Version"]
                if version:
                    return str(version)
        except (importlib.metadata.PackageNotFoundError, ValueError, OSError):
            return None
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "version": list(self.version),
            "tags": sorted(self.tags),
            "platform": self.platform,
            "paths": list(self.paths),
        }

    @classmethod
    def from_probe(cls, python: str, data: Mapping[str, Any]) -> TargetEnvironment:
        """Build from the probe's answer (or a stored copy); ValueError if it is malformed."""
        version = data.get("version")
        tags = data.get("tags")
        paths = data.get("paths")
        if (
            not isinstance(version, list)
            or len(version) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in version)
        ):
            raise ValueError(f"no Python version in {sorted(data)}")
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
            raise ValueError("no wheel tags")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError("no import path")
        platform = data.get("platform")
        if not isinstance(platform, str):
            platform = _platform_of(tags)
        return cls(
            python=python,
            version=(version[0], version[1], version[2]),
            tags=frozenset(tags),
            platform=platform,
            paths=tuple(paths),
        )


def _platform_of(tags: Iterable[str]) -> str:
    """The platform of the first tag, preferring a ``manylinux_*`` one to plain ``linux_*``."""
    first = None
    for tag in tags:
        parts = tag.split("-")
        if len(parts) != 3 or parts[2] == "any":
            continue
        if not parts[2].startswith("linux_"):
            return parts[2]
        first = first or parts[2]
    return first or "any"


def running_environment() -> TargetEnvironment:
    """The environment of the running interpreter, asked in-process."""
    from packaging.tags import sys_tags

    tags = [str(t) for t in sys_tags()]
    major, minor, micro = sys.version_info[:3]
    return TargetEnvironment(
        python=sys.executable,
        version=(major, minor, micro),
        tags=frozenset(tags),
        platform=_platform_of(tags),
        running=True,
    )


@attrs.define
class TargetEnvironments:
    """A Manager's memo of target environments, kept in ``path`` (the data folder) if given.

    Thread-safe: checks of one round run in threads, and the first check that needs an
    interpreter probes it while the others wait for that answer.
    """

    path: Optional[Path] = None
    timeout: float = PROBE_TIMEOUT
    _known: dict[tuple[str, int, int], TargetEnvironment] = attrs.field(factory=dict)
    _running: Optional[TargetEnvironment] = None
    _loaded: bool = False
    _lock: threading.Lock = attrs.field(factory=threading.Lock)
    _probe_locks: dict[str, threading.Lock] = attrs.field(factory=dict)
    #: How many probe subprocesses this memo ran (for tests and benchmarks).
    probes: int = 0

    def running(self) -> TargetEnvironment:
        """The running interpreter's environment (computed once)."""
        with self._lock:
            if self._running is None:
                self._running = running_environment()
            return self._running

    def for_python(self, python: str) -> TargetEnvironment:
        """The environment of the interpreter ``python``: remembered, or probed once.

        :raises CheckError: ``python`` does not exist, cannot run, or answers nonsense.
        """
        if not os.path.dirname(python):  # a bare name such as ``python3``: found on PATH
            python = shutil.which(python) or python
        if os.path.abspath(python) == os.path.abspath(sys.executable):
            return self.running()
        key = _key(python)
        with self._lock:
            self._load()
            known = self._known.get(key)
            if known is not None:
                return known
            probe_lock = self._probe_locks.setdefault(key[0], threading.Lock())
        with probe_lock:
            with self._lock:
                known = self._known.get(key)
            if known is not None:
                return known
            environment = self._probe(python)
            with self._lock:
                self.probes += 1
                self._known = {k: v for k, v in self._known.items() if k[0] != key[0]}
                self._known[key] = environment
                self._save()
            return environment

    # -- the subprocess -----------------------------------------------------------------
    def _probe(self, python: str) -> TargetEnvironment:
        import packaging

        own_packaging = str(Path(packaging.__file__).resolve().parent.parent)
        what = f"cannot ask {python} (the python of pip_command) what it installs"
        # an empty working folder: ``-c`` puts it first on sys.path before the probe runs
        with tempfile.TemporaryDirectory(prefix="softwareupdate-probe-") as cwd:
            try:
                result = run_command(
                    [python, "-c", _PROBE, own_packaging],
                    cwd=cwd,
                    timeout=self.timeout,
                    check=False,
                )
            except ScriptError as exc:
                raise CheckError(f"{what}: {exc.stderr}") from None
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            tail = (result.stderr.strip().splitlines() or ["no answer"])[-1]
            raise CheckError(f"{what}: {tail}")
        try:
            data = json.loads(lines[-1])
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            environment = TargetEnvironment.from_probe(python, data)
        except ValueError as exc:
            raise CheckError(f"{what}: unexpected answer ({exc})") from None
        log.debug("probed %s: %s", python, environment.describe())
        return environment

    # -- the data folder ----------------------------------------------------------------
    def _load(self) -> None:
        if self._loaded or self.path is None:
            self._loaded = True
            return
        self._loaded = True
        from ..store.documents import read_document

        data = read_document(self.path, _KIND)
        if not isinstance(data, list):
            return
        for raw in data:
            try:
                key = (str(raw["python"]), int(raw["mtime_ns"]), int(raw["size"]))
                self._known[key] = TargetEnvironment.from_probe(key[0], raw)
            except (KeyError, TypeError, ValueError):
                continue

    def _save(self) -> None:
        if self.path is None:
            return
        from ..store.documents import write_document

        entries = list(self._known.items())[-MAX_REMEMBERED:]
        data = [{**env.as_dict(), "mtime_ns": k[1], "size": k[2]} for k, env in entries]
        try:
            write_document(self.path, _KIND, data)
        except OSError as exc:
            log.warning("cannot remember target environments in %s: %s", self.path, exc)


def _key(python: str) -> tuple[str, int, int]:
    """The interpreter's path with the modification time and size of what it resolves to."""
    try:
        stat = os.stat(python)
    except OSError as exc:
        raise CheckError(
            f"the python of pip_command, {python}, cannot be used: {exc.strerror or exc}"
        ) from None
    return (os.path.abspath(python), stat.st_mtime_ns, stat.st_size)


def target_environment(
    target: str, check: Mapping[str, Any], kwargs: Mapping[str, Any]
) -> TargetEnvironment:
    """The environment pip installs the package into: ``pip_command``'s, else this one."""
    environments = _environments(kwargs)
    configured = check.get("pip_command")
    if configured is None or configured == "" or configured == []:
        return environments.running()
    from ..updaters.pip import python_for

    try:
        python = python_for(check)
    except UpdateError as exc:
        raise ConfigurationInvalid(str(exc), key=f"checks.{target}.pip_command") from None
    return environments.for_python(python)


def _environments(kwargs: Mapping[str, Any]) -> TargetEnvironments:
    """The Manager's memo of environments, or a fresh one for a direct caller."""
    folder = kwargs.get("data_folder")
    path = Path(folder) / ENVIRONMENTS_FILE if folder else None
    memo = kwargs.get("memo")
    if memo is not None and callable(getattr(memo, "get_or_create", None)):
        found = memo.get_or_create(MEMO_KEY, lambda: TargetEnvironments(path))
        if isinstance(found, TargetEnvironments):
            return found
    return TargetEnvironments(path)


def installed_in_target(target: str, check: Mapping[str, Any], **kwargs: Any) -> Optional[str]:
    """``current``, else the version of ``package`` installed in the target environment now.

    Read before the version cache is asked (the ``installed_version`` capability): part of
    the cache key, so an upgrade made outside the library shows without ``--force``. None
    when it cannot tell; the check itself reports what is wrong.
    """
    current = check.get("current")
    if isinstance(current, str) and current.strip():
        return current
    package = check.get("package")
    if not isinstance(package, str) or not package.strip():
        return None
    try:
        return target_environment(target, check, kwargs).installed_version(package.strip())
    except Exception:
        return None
