"""Reading a YAML configuration file safely: bounded in size and in alias expansion.

A configuration is read whole into memory and built into Python objects; an endless file
(``/dev/zero``) or a "billion laughs" alias bomb must be a clear error, not a machine out of
memory. Only PyYAML's safe loader is used.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import ConfigurationInvalid


def read_yaml_file(source: str) -> Any:
    """The YAML document in the file ``source``, read bounded; ConfigurationInvalid if not."""
    import yaml

    try:
        with open(source, "rb") as handle:
            # bounded: a huge file (or /dev/zero) must not fill the memory
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigurationInvalid(
            f"cannot read the file: {exc.strerror or exc}", source=source
        ) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigurationInvalid(
            f"the file is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB, "
            "the most a configuration may have",
            source=source,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigurationInvalid(
            f"not UTF-8 text: {exc.reason} at line {line} (byte {exc.start})", source=source
        ) from None
    try:
        # the C loader when PyYAML has it: the same safe subset, several times faster
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            node = loader.get_single_node()
            problem = _alias_problem(node)
            if problem:
                raise ConfigurationInvalid(problem, source=source)
            document = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise ConfigurationInvalid(f"not valid YAML{_yaml_problem(exc)}", source=source) from None
    return document


#: Largest configuration file read, in bytes (a whole OctoPrint config.yaml is far smaller).
MAX_CONFIG_BYTES = 4 * 1024 * 1024


#: Most YAML nodes that aliases (``*name``) may add to a configuration once expanded. Enough
#: for anchors shared by hundreds of checks; a "billion laughs" alias bomb needs far more.
MAX_ALIAS_EXPANSION = 100_000


def _alias_problem(root: Any) -> str:
    """Why the YAML node graph ``root`` must not be built, or an empty string.

    Aliases make one node appear in many places; every later walk over the settings (a copy,
    a digest, ``config show``) pays for each appearance. Counts the nodes of the expanded
    document without expanding it (each node's expanded size once, memoised), and refuses an
    alias that contains itself. Iterative, so a deep document cannot exhaust the stack.
    """
    if root is None:
        return ""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        ident = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(ident)
            sizes[ident] = 1 + sum(sizes[id(child)] for child in children)
            continue
        if ident in sizes:
            continue
        if ident in open_nodes:
            line = node.start_mark.line + 1 if getattr(node, "start_mark", None) else 0
            return f"a YAML alias at line {line} refers to a node that contains it"
        open_nodes.add(ident)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                mark = getattr(child, "start_mark", None)
                line = mark.line + 1 if mark is not None else 0
                return f"a YAML alias refers to the node at line {line} that contains it"
            if id(child) not in sizes:
                stack.append((child, False))
    added = sizes[id(root)] - len(sizes)
    if added > MAX_ALIAS_EXPANSION:
        return (
            f"YAML aliases (*name) would expand the document by {added:,} nodes, more than "
            f"the {MAX_ALIAS_EXPANSION:,} allowed (an alias bomb?)"
        )
    return ""


def _children(node: Any) -> list[Any]:
    """The child nodes of a YAML node: a sequence's items, a mapping's keys and values."""
    value = getattr(node, "value", None)
    if not isinstance(value, list):
        return []
    children: list[Any] = []
    for item in value:
        if isinstance(item, tuple):
            children.extend(item)
        else:
            children.append(item)
    return children


def _yaml_problem(exc: Exception) -> str:
    """`` at line L, column C: problem`` from a PyYAML error, as far as it tells."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{where}: {problem}"
