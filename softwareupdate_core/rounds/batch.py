"""Calls of a check round into check types: the batch hook, and one target's check.

Split from :mod:`softwareupdate_core.rounds.check`. The round never asks which type a target
is, only what it can do: a type with the ``batch`` capability gets its targets together, and
each target left over is checked alone with the parse result the batch already made.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from ..context import Context
from ..exceptions import CheckError
from ..memo import Memo
from ..models import VersionInformation
from ..protocols import parse_with, require_online
from ..util import PluginCall
from .status import Answer

log = logging.getLogger(__name__)

#: Marks a target whose config the round has not parsed yet.
UNPARSED: Any = object()

#: ``failed(name, digest, exc)``: the answer of a target whose check failed.
Failed = Callable[[str, str, BaseException], Answer]
#: ``record(name, check, digest, online, info, is_current)``: the answer of a checked target.
Record = Callable[[str, dict[str, Any], str, bool, VersionInformation, bool], Answer]


def answer_batched(
    ctx: Context,
    memo: Memo,
    pending: dict[str, tuple[dict[str, Any], str]],
    online: bool,
    parsed: dict[str, Any],
    failed: Failed,
    record: Record,
) -> dict[str, Answer]:
    """Targets answered by their check type's ``batch`` capability, many at once.

    Targets a batch leaves out (or all of them, when it fails) stay for the one-by-one
    checks, which get the parse results kept in ``parsed``.
    """
    by_type: dict[str, dict[str, dict[str, Any]]] = {}
    for name, (check, _digest) in pending.items():
        if ctx.registry.check_capabilities(str(check["type"])).batch is not None:
            by_type.setdefault(str(check["type"]), {})[name] = check
    answers: dict[str, Answer] = {}
    for type_name, checks in by_type.items():
        batch = ctx.registry.check_capabilities(type_name).batch
        assert batch is not None
        usable: dict[str, dict[str, Any]] = {}
        checker = ctx.registry.version_check(type_name)
        for name, check in checks.items():
            try:
                parsed[name] = parse_with(checker, name, check)
            except Exception:
                continue  # the one-by-one check parses again and reports the problem
            usable[name] = dict(check)
        if not usable:
            continue
        try:
            results = batch(
                usable,
                credentials=ctx.settings.credentials_for_checks(),
                http=ctx.http,
                memo=memo,
                data_folder=ctx.data_folder,
                online=online,
                parsed={name: parsed[name] for name in usable},
            )
        except Exception:
            log.exception("the batched check of %d targets failed", len(usable))
            continue
        for name, result in dict(results).items():
            if name not in usable:
                continue
            digest = pending[name][1]
            if isinstance(result, Exception):
                answers[name] = failed(name, digest, result)
                continue
            try:
                raw, is_current = result
                info = VersionInformation.coerce(raw)
            except Exception as exc:
                answers[name] = failed(name, digest, exc)
                continue
            check = pending[name][0]
            answers[name] = record(name, check, digest, online, info, bool(is_current))
    return answers


def call_checker(
    ctx: Context,
    memo: Memo,
    call_of: Callable[[str, Callable[..., Any]], PluginCall],
    name: str,
    check: dict[str, Any],
    online: bool,
    parsed: Any = UNPARSED,
) -> tuple[VersionInformation, bool]:
    """One target's ``get_latest``, for targets no batch answered; checks what it returns."""
    checker = ctx.registry.version_check(str(check["type"]))
    checker = ctx.registry.version_check(str(check["type"]))
    # the parser validate runs (a refusal is "config"); the check gets its answer back as
    # ``parsed``, so the config is parsed once per target and round (already when a
    # batch looked at it first)
    if parsed is UNPARSED:
        parsed = parse_with(checker, name, check)
    network = ctx.registry.check_capabilities(str(check["type"])).network
    require_online(name, check, online, f"the {check['type']} check", network=network)
    result = call_of(str(check["type"]), checker.get_latest)(
        name,
        dict(check),
        credentials=ctx.settings.credentials_for_checks(),
        http=ctx.http,
        memo=memo,
        data_folder=ctx.data_folder,
        online=online,
        parsed=parsed,
    )
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckError(
            f"{name}: the {check['type']} check returned {type(result).__name__}, "
            "expected (information, is_current)"
        )
    raw, is_current = result
    return VersionInformation.coerce(raw), bool(is_current)
