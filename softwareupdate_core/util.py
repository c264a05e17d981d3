"""Helpers for plugin authors and the built-ins: run a command with logged output, write atomically.

Commands are always argument lists run without a shell; a string is split with
:func:`shlex.split`, so remote values substituted into it stay single, inert arguments.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import shlex
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Callable, Optional, Union

import attrs

from .exceptions import ScriptError

#: ``log_cb(lines, prefix=None, stream=None)`` as the updaters call it.
LogCallback = Callable[..., None]
Command = Union[str, Sequence[str]]


def split_command(command: Command) -> list[str]:
    """Turn a configured command into an argument list, without any shell."""
    if isinstance(command, str):
        try:
            parts = shlex.split(command)
        except ValueError as exc:
            raise ValueError(f"cannot split command {command!r}: {exc}") from None
    else:
        parts = [str(p) for p in command]
    if not parts:
        raise ValueError("empty command")
    return parts


def render_command(command: Command, values: Mapping[str, str]) -> list[str]:
    """Split ``command`` first, then fill ``{placeholders}`` in each argument.

    Splitting before substituting keeps a substituted value inside its one argument,
    whatever spaces, quotes or semicolons it holds.
    """
    return [_format(part, values) for part in split_command(command)]


def _format(template: str, values: Mapping[str, str]) -> str:
    try:
        return template.format_map(_Placeholders(values))
    except (ValueError, IndexError) as exc:
        raise ValueError(f"bad placeholder in {template!r}: {exc}") from None


class _Placeholders(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@attrs.frozen
class CommandResult:
    """Return code and collected output of a finished command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run_command(
    command: Command,
    *,
    cwd: Optional[Union[str, os.PathLike[str]]] = None,
    log_cb: Optional[LogCallback] = None,
    timeout: Optional[float] = None,
    env: Optional[Mapping[str, str]] = None,
    check: bool = True,
) -> CommandResult:
    """Run a command without a shell, streaming each output line to ``log_cb``.

    ``log_cb`` receives ``([line], stream="call"|"stdout"|"stderr")``. With ``check`` a
    non-zero exit raises :class:`ScriptError` carrying the output; a ``timeout`` (seconds)
    kills the command and raises ScriptError with return code -9.
    """
    args = split_command(command)
    if log_cb is not None:
        log_cb([" ".join(shlex.quote(a) for a in args)], prefix=" ", stream="call")
    try:
        process = subprocess.Popen(
            args,
            cwd=os.fspath(cwd) if cwd is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=None if env is None else dict(env),
            text=True,
            errors="replace",
            bufsize=1,
        )
    except OSError as exc:
        raise ScriptError(
            127, "", f"cannot run {args[0]!r}: {exc.strerror or exc}", command=args[0]
        ) from None

    collected: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def pump(stream: IO[str], name: str) -> None:
        for line in stream:
            line = line.rstrip("\r\n")
            collected[name].append(line)
            if log_cb is not None:
                log_cb([line], prefix=">" if name == "stdout" else "!", stream=name)
        stream.close()

    assert process.stdout is not None and process.stderr is not None
    pumps = [
        threading.Thread(target=pump, args=(process.stdout, "stdout"), daemon=True),
        threading.Thread(target=pump, args=(process.stderr, "stderr"), daemon=True),
    ]
    for thread in pumps:
        thread.start()
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        returncode = -9
        collected["stderr"].append(f"killed after {timeout:g} seconds")
    for thread in pumps:
        thread.join(timeout=5)
    result = CommandResult(
        tuple(args), returncode, "\n".join(collected["stdout"]), "\n".join(collected["stderr"])
    )
    if check and returncode != 0:
        raise ScriptError(returncode, result.stdout, result.stderr, command=args[0])
    return result


def atomic_write(
    path: Union[str, os.PathLike[str]], data: Union[str, bytes], *, mode: int = 0o644
) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never half of one.

    Writes a temp file in the same folder, fsyncs it, renames it over ``path`` and fsyncs
    the folder.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def accepted_keywords(function: Callable[..., Any]) -> Optional[frozenset[str]]:
    """The keyword names ``function`` accepts; None when it takes ``**kwargs`` (any keyword).

    Lets the library call plugin callables written for older signatures. A signature that
    cannot be inspected (some builtins) accepts no keywords: the oldest calling convention.
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(p.name for p in parameters if p.kind in named)


def pick_keywords(offered: Mapping[str, Any], accepted: Optional[frozenset[str]]) -> dict[str, Any]:
    """The part of ``offered`` that a callable with :func:`accepted_keywords` ``accepted`` takes."""
    if accepted is None:
        return dict(offered)
    return {k: v for k, v in offered.items() if k in accepted}
