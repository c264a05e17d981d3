"""Which files of a project page pip would install in an environment, and their versions.

The rules are pip's (``LinkEvaluator``): yanked files never count; the extension must be one
pip reads (``.whl`` or an sdist: ``.tar.gz``, ``.tgz``, ``.tar``, ``.tar.bz2``, ``.tbz``,
``.tar.xz``, ``.txz``, ``.tlz``, ``.tar.lz``, ``.tar.lzma``, ``.zip``), matched as pip matches
them, which is case-sensitive; a wheel needs the project's name and one tag the environment
supports; an sdist name is the project's name (compared normalised, up to a dash) followed by
the version, which may itself hold dashes (``aiohttp-2.0.6-1.tar.gz`` is 2.0.6.post1); an sdist
version ending in ``-py3.9`` counts only for that Python; ``Requires-Python`` must admit the
environment's Python (an invalid one is ignored, as pip does). Versions come from file
names, not from the page's version list.
"""

from __future__ import annotations

import collections
import logging
import re
from collections.abc import Iterable
from typing import Optional

import attrs
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from ._pypi_collect import IndexFile
from ._pypi_environment import TargetEnvironment

log = logging.getLogger(__name__)

SDIST_EXTENSIONS = frozenset(
    {
        ".zip",
        ".tar.gz",
        ".tgz",
        ".tar",
        ".tar.bz2",
        ".tbz",
        ".tar.xz",
        ".txz",
        ".tlz",
        ".tar.lz",
        ".tar.lzma",
    }
)
_PY_SUFFIX = re.compile(r"-py([123]\.?[0-9]?)$")

#: Why a file does not count, as the summary of a page words it.
YANKED = "yanked"
OTHER_FORMAT = "not a wheel or sdist"
OTHER_PROJECT = "of another project or unnamed version"
BAD_VERSION = "invalid version"
OTHER_PLATFORM = "wheels for another platform or Python"
OTHER_PYTHON = "needing another Python"


@attrs.frozen
class Evaluation:
    """The installable versions of one page, and how many files were left out and why."""

    versions: frozenset[Version]
    files: int
    left_out: tuple[tuple[str, int], ...] = ()

    def summary(self) -> str:
        """E.g. ``12 files: 10 wheels for another platform or Python, 2 yanked``."""
        parts = ", ".join(f"{count} {reason}" for reason, count in self.left_out)
        noun = "file" if self.files == 1 else "files"
        return f"{self.files} {noun}" + (f": {parts}" if parts else "")


def split_extension(filename: str) -> tuple[str, str]:
    """``("demo-1.0", ".tar.gz")``: like :func:`os.path.splitext`, keeping ``.tar.*`` whole."""
    dot = filename.rfind(".")
    if dot <= 0:
        return filename, ""
    base, ext = filename[:dot], filename[dot:]
    if base.lower().endswith(".tar"):
        return base[:-4], base[-4:] + ext
    return base, ext


def sdist_version(stem: str, project: str) -> Optional[str]:
    """The version part of an sdist's name without extension, or None if not ``project``'s.

    The name ends at the first dash before which the text normalises to ``project``; the
    rest, dashes included, is the version.
    """
    for index, char in enumerate(stem):
        if char == "-" and canonicalize_name(stem[:index]) == project:
            return stem[index + 1 :] or None
    return None


def file_version(
    file: IndexFile,
    project: str,
    environment: TargetEnvironment,
    admitted: Optional[dict[str, bool]] = None,
) -> tuple[Optional[Version], str]:
    """The version ``file`` installs in ``environment``, or None and why it does not count.

    ``admitted`` memoises the ``Requires-Python`` answers of one page (most files repeat one).
    """
    if file.yanked:
        return None, YANKED
    stem, ext = split_extension(file.filename)
    if ext == ".whl":
        try:
            name, version, _build, tags = parse_wheel_filename(file.filename)
        except ValueError:  # InvalidWheelFilename, InvalidVersion
            return None, BAD_VERSION
        if name != project:
            return None, OTHER_PROJECT
        if not any(str(tag) in environment.tags for tag in tags):
            return None, OTHER_PLATFORM
    elif ext in SDIST_EXTENSIONS:
        if "macosx10" in file.filename and ext == ".zip":
            return None, OTHER_PLATFORM  # pip's rule for old binary zips
        text = sdist_version(stem, project)
        if text is None:
            return None, OTHER_PROJECT
        match = _PY_SUFFIX.search(text)
        if match:
            text = text[: match.start()]
            if match.group(1) != environment.py_version:
                return None, OTHER_PLATFORM
        try:
            version = Version(text)
        except InvalidVersion:
            return None, BAD_VERSION
    else:
        return None, OTHER_FORMAT
    requires = file.requires_python
    if requires:
        if admitted is None:
            admitted = {}
        if requires not in admitted:
            admitted[requires] = admits(requires, environment.python_version)
        if not admitted[requires]:
            return None, OTHER_PYTHON
    return version, ""


def admits(requires_python: Optional[str], python: str) -> bool:
    """Whether ``Requires-Python`` admits ``python``; an invalid one admits all (as in pip)."""
    if not requires_python or not requires_python.strip():
        return True
    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        log.debug("ignoring invalid requires-python %r", requires_python)
        return True


def evaluate(
    files: Iterable[IndexFile], project: str, environment: TargetEnvironment
) -> Evaluation:
    """The versions with at least one file pip would install in ``environment``.

    ``project`` is the normalised project name.
    """
    versions: set[Version] = set()
    reasons: collections.Counter[str] = collections.Counter()
    count = 0
    admitted: dict[str, bool] = {}
    for file in files:
        count += 1
        version, reason = file_version(file, project, environment, admitted)
        if version is None:
            reasons[reason] += 1
        else:
            versions.add(version)
    return Evaluation(frozenset(versions), count, tuple(reasons.most_common()))
