"""Hypothesis strategies shared by the property tests: version strings, tags, hostile text.

Import them from test modules, e.g. ``from tests.property.strategies import pep440_versions``.
"""

from __future__ import annotations

from hypothesis import strategies as st

#: Small numbers keep collisions (equal versions) frequent enough to exercise equality.
_numbers = st.integers(min_value=0, max_value=12)
_alnum = "abcdefghijklmnopqrstuvwxyz0123456789"


@st.composite
def pep440_versions(draw: st.DrawFn) -> str:
    """A valid PEP 440 version string: release, maybe epoch, pre, post, dev and local parts."""
    release = ".".join(str(n) for n in draw(st.lists(_numbers, min_size=1, max_size=4)))
    text = release
    if draw(st.integers(0, 9)) == 0:
        text = f"{draw(st.integers(1, 3))}!{text}"
    if draw(st.booleans()):
        text += f"{draw(st.sampled_from(['a', 'b', 'rc']))}{draw(_numbers)}"
    if draw(st.booleans()):
        text += f".post{draw(_numbers)}"
    if draw(st.booleans()):
        text += f".dev{draw(_numbers)}"
    if draw(st.integers(0, 4)) == 0:
        local = draw(st.lists(st.text(_alnum, min_size=1, max_size=6), min_size=1, max_size=3))
        text += "+" + ".".join(local)
    return text


@st.composite
def release_versions(draw: st.DrawFn) -> str:
    """A plain ``X.Y.Z`` release: valid under every comparison scheme."""
    return ".".join(str(draw(_numbers)) for _ in range(3))


@st.composite
def semver_versions(draw: st.DrawFn) -> str:
    """A valid Semantic Versioning 2.0 string with optional pre-release and build metadata."""
    text = draw(release_versions())
    identifier = st.one_of(
        st.integers(0, 20).map(str),
        st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=5),
    )
    if draw(st.booleans()):
        text += "-" + ".".join(draw(st.lists(identifier, min_size=1, max_size=3)))
    if draw(st.integers(0, 4)) == 0:
        text += "+" + ".".join(draw(st.lists(identifier, min_size=1, max_size=2)))
    return text


@st.composite
def tag_spellings(draw: st.DrawFn, versions: st.SearchStrategy[str]) -> tuple[str, str]:
    """``(version, tag)``: a version and the same version as a release tag might spell it."""
    version = draw(versions)
    prefix = draw(st.sampled_from(["", "v", "V"]))
    before = draw(st.sampled_from(["", " ", "\t", "\n", "  "]))
    after = draw(st.sampled_from(["", " ", "\n", "\r\n", "\t "]))
    return version, f"{before}{prefix}{version}{after}"


def hostile_strings() -> st.SearchStrategy[str]:
    """Text a malicious or broken server might send as a version: anything, long, odd bytes."""
    near_versions = st.builds(
        lambda v, junk, where: v[:where] + junk + v[where:],
        pep440_versions(),
        st.text(min_size=1, max_size=5),
        st.integers(0, 30),
    )
    return st.one_of(
        st.text(max_size=50),
        near_versions,
        st.text(alphabet="0123456789.-+vV!abcdefgr \t\x00", max_size=60),
        st.integers(150, 400).map(lambda n: "1." * n),
        st.sampled_from(["", " ", "v", "-", "+", ".", "1..2", "1.2.3-", "\x00", "\u202e1.0"]),
    )


#: The schemes whose result needs no callable.
COMPARE_SCHEMES = ("python", "python_unequal", "semantic", "semantic_unequal", "unequal")
