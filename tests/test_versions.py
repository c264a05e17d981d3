"""Tests for softwareupdate_core.versions: the reference cases and the ordering laws."""

from __future__ import annotations

import contextlib
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from softwareupdate_core import versions
from softwareupdate_core.exceptions import CheckError, ConfigurationInvalid
from softwareupdate_core.versions import (
    COMPARE_METHODS,
    base_version,
    is_current,
    newest,
    parse_semantic,
    parse_version,
)
from tests.property.strategies import (
    COMPARE_SCHEMES,
    hostile_strings,
    pep440_versions,
    release_versions,
    semver_versions,
    tag_spellings,
)

# --- examples -------------------------------------------------------------------------------


def test_docstring_examples() -> None:
    """The doctests in the module's docstrings hold."""
    result = doctest.testmod(versions, raise_on_error=False)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("V1.2.3", "1.2.3"),
        ("  1.2.3\n", "1.2.3"),
        ("\tv2.0 ", "2.0"),
        ("1.2.3-dev12", "1.2.3.dev12"),
        ("1.3.0.post1+g1014712", "1.3.0.post1+g1014712"),
        ("1.2.16dev1", "1.2.16.dev1"),
        ("1.2.16rc2", "1.2.16rc2"),
        ("1.2.3-4-gabc123", "1.2.3.post4+gabc123"),
        ("1.2.3rc1-10-g0ABCDEF-dirty", "1.2.3rc1.post10+g0abcdef"),
    ],
)
def test_parse_version_tolerates_tag_spellings(text: str, expected: str) -> None:
    """Real-world tag spellings parse to the PEP 440 version they mean."""
    assert str(parse_version(text)) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not-a-version", "'not-a-version'"),
        ("", "''"),
        ("1.2.3 beta", "'1.2.3 beta'"),
        ("1" * 201, "longer than 200 characters (201 characters)"),
        ("1.2\x00", "U+0000"),
        ("1.\n2", "U+000A"),
        ("1.2\u200b", "U+200B"),
    ],
)
def test_parse_version_rejects_bad_strings_with_check_error(text: str, fragment: str) -> None:
    """Unparseable or absurd strings raise CheckError whose message names the string."""
    with pytest.raises(CheckError) as info:
        parse_version(text)
    assert fragment in str(info.value)


def test_parse_version_rejects_non_strings() -> None:
    """A non-string (e.g. a YAML float) is a CheckError naming its type, not a TypeError."""
    with pytest.raises(CheckError, match=r"expected a version string, got float 1\.5"):
        parse_version(1.5)  # type: ignore[arg-type]


def test_long_version_is_accepted_up_to_the_limit() -> None:
    """A version of exactly 200 characters is still parsed."""
    text = "1." * 99 + "12"
    assert len(text) == versions.MAX_VERSION_LENGTH
    assert parse_version(text).release[-1] == 12


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.2.16dev1", "1.2.16"), ("v1.3.0.post1+g1014712", "1.3.0"), ("2.0rc1", "2.0")],
)
def test_base_version_is_the_release_part(text: str, expected: str) -> None:
    """base_version drops pre, post, dev and local segments."""
    assert base_version(text) == expected


@pytest.mark.parametrize(
    ("local", "remote", "compare", "force_base", "expected"),
    [
        # the reference plugin's own cases
        ("1.2.15", "1.2.16", "python", False, False),
        ("1.2.16dev1", "1.2.16dev2", "python", True, True),
        ("1.2.16dev1", "1.2.16dev2", "python", False, False),
        ("1.2.16dev3", "1.2.16dev2", "python", False, True),
        ("1.2.16dev3", "1.2.16dev2", "python_unequal", False, False),
        ("1.3.0.post1+g1014712", "1.3.0", "python", False, True),
        # v prefix and whitespace
        ("v1.2.3", "1.2.3", "python", False, True),
        ("1.2.3", " V1.2.4\n", "python", False, False),
        # rc ordering
        ("1.2.16rc1", "1.2.16rc2", "python", False, False),
        ("1.2.16rc2", "1.2.16", "python", False, False),
        ("1.2.16", "1.2.16rc3", "python", False, True),
        ("1.2.16rc2", "1.2.16", "python", True, True),
        ("1.2.9", "1.2.10", "python", False, False),
        # a downgrade is an update only for the unequal schemes
        ("1.3.0", "1.2.0", "python", False, True),
        ("1.3.0", "1.2.0", "python_unequal", False, False),
        ("1.0", "1.0.0", "python_unequal", False, True),
        ("1.0", "1.0.0", "unequal", False, False),
        # semantic
        ("v1.2", "1.2.0", "semantic", False, True),
        ("1.2.0", "1.10.0", "semantic", False, False),
        ("1.2.16rc2", "1.2.16", "semantic", False, False),
        ("1.2.16dev1", "1.2.16dev2", "semantic", False, False),
        ("1.2.16dev1", "1.2.16dev2", "semantic", True, True),
        ("2.0.0", "1.9.9", "semantic", False, True),
        ("2.0.0", "1.9.9", "semantic_unequal", False, False),
        ("v1.2", "1.2.0", "semantic_unequal", False, True),
        ("1.2.0+a", "1.2.0+b", "semantic", False, True),
        ("1.2.0+a", "1.2.0+b", "semantic_unequal", False, False),
        # unequal: plain strings after stripping whitespace and a leading v
        ("v1.2.3", " 1.2.3 ", "unequal", False, True),
        ("1.2.3", "1.2.4", "unequal", False, False),
        ("1.2.4", "1.2.3", "unequal", False, False),
        ("abc", "abc", "unequal", False, True),
        ("1.2.16dev1", "1.2.16dev2", "unequal", True, False),
    ],
)
def test_is_current_reference_cases(
    local: str, remote: str, compare: str, force_base: bool, expected: bool
) -> None:
    """Each scheme answers the reference cases as the seed's release_compare does."""
    assert is_current(local, remote, compare=compare, force_base=force_base) is expected


def test_custom_comparison_gets_cleaned_strings_and_decides() -> None:
    """The custom callable receives stripped strings and its truth value is the answer."""
    calls: list[tuple[str, str]] = []

    def same_major(local: str, remote: str) -> bool:
        calls.append((local, remote))
        return local.split(".")[0] == remote.split(".")[0]

    assert is_current(" 1.2 ", "1.9", compare="custom", custom=same_major) is True
    assert is_current("1.2", "2.0", compare="custom", custom=same_major) is False
    assert calls == [("1.2", "1.9"), ("1.2", "2.0")]


def test_custom_comparison_without_callable_is_a_configuration_error() -> None:
    """compare='custom' with no callable raises ConfigurationInvalid saying what is missing."""
    with pytest.raises(ConfigurationInvalid, match=r"release_compare: .*needs a callable"):
        is_current("1.0", "1.1", compare="custom")


def test_custom_comparison_failure_becomes_check_error() -> None:
    """An exception inside the custom callable surfaces as CheckError naming both versions."""

    def broken(local: str, remote: str) -> bool:
        raise ZeroDivisionError("boom")

    with pytest.raises(CheckError, match=r"'1.0'.*'1.1'.*ZeroDivisionError: boom") as info:
        is_current("1.0", "1.1", compare="custom", custom=broken)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_unknown_comparison_names_the_value() -> None:
    """An unknown scheme raises ConfigurationInvalid naming it and the valid ones."""
    with pytest.raises(ConfigurationInvalid, match=r"'pep440'.*python, python_unequal"):
        is_current("1.0", "1.1", compare="pep440")
    with pytest.raises(ConfigurationInvalid, match="'lexical'"):
        newest(["1.0"], compare="lexical")


@pytest.mark.parametrize("compare", ["python", "python_unequal", "semantic", "semantic_unequal"])
def test_unparseable_version_is_check_error(compare: str) -> None:
    """A remote tag that is not a version raises CheckError under the parsing schemes."""
    with pytest.raises(CheckError, match="'latest-nightly'"):
        is_current("1.0.0", "latest-nightly", compare=compare)


def test_newest_skips_unparseable_and_keeps_original_spelling() -> None:
    """newest returns the greatest parseable tag as it was spelled, ignoring junk."""
    tags = ["v1.9.0", "nightly", "v1.10.0rc1", "1.10.0", "v1.10.0", "\x00"]
    assert newest(tags) == "1.10.0"
    assert newest(tags, compare="semantic") == "1.10.0"
    assert newest(["1.2.0+b", "1.2.0+a"], compare="semantic") == "1.2.0+b"
    assert newest([]) is None
    assert newest(["x", "y"]) is None


def test_semantic_force_base_drops_prerelease_and_build() -> None:
    """With force_base the semantic scheme compares the local major.minor.patch only."""
    assert str(parse_semantic("1.3.0.post1+g1014712")) == "1.3.0+post1.g1014712"
    assert is_current("1.3.0-rc.1+build", "1.3.0", compare="semantic", force_base=True)
    assert not is_current("1.3.0-rc.1+build", "1.3.0", compare="semantic")


# --- properties -----------------------------------------------------------------------------


@given(pep440_versions())
def test_parse_of_str_round_trips(text: str) -> None:
    """str(Version) parses back to an equal version with the same string."""
    version = parse_version(text)
    again = parse_version(str(version))
    assert again == version
    assert str(again) == str(version)
    assert parse_version(text) == Version(text)


@given(tag_spellings(pep440_versions()))
def test_tag_decorations_do_not_change_the_version(pair: tuple[str, str]) -> None:
    """A leading v and surrounding whitespace parse to the same version."""
    version, tag = pair
    assert parse_version(tag) == parse_version(version)


@given(pep440_versions(), pep440_versions())
def test_python_is_current_matches_pep440_order(local: str, remote: str) -> None:
    """python is current iff remote <= local; python_unequal iff they are equal."""
    a, b = Version(local), Version(remote)
    assert is_current(local, remote) is (b <= a)
    assert is_current(local, remote, compare="python_unequal") is (a == b)


@given(st.sampled_from(["python", "semantic"]), st.data())
def test_is_current_is_total_and_antisymmetric(compare: str, data: st.DataObject) -> None:
    """Of two versions at least one is current against the other; both iff they are equal."""
    strategy = pep440_versions() if compare == "python" else semver_versions()
    a, b = data.draw(strategy), data.draw(strategy)
    forward = is_current(a, b, compare=compare)
    backward = is_current(b, a, compare=compare)
    assert forward or backward
    if compare == "python":
        assert (forward and backward) is is_current(a, b, compare="python_unequal")
    else:
        va, vb = parse_semantic(a), parse_semantic(b)
        # semver precedence ignores build metadata
        same_precedence = (va.major, va.minor, va.patch, va.prerelease) == (
            vb.major,
            vb.minor,
            vb.patch,
            vb.prerelease,
        )
        assert (forward and backward) is same_precedence


@given(st.sampled_from(["python", "semantic"]), st.data())
def test_is_current_is_transitive(compare: str, data: st.DataObject) -> None:
    """If a is current against b and b against c, then a is current against c."""
    strategy = pep440_versions() if compare == "python" else semver_versions()
    a, b, c = (data.draw(strategy) for _ in range(3))
    if is_current(a, b, compare=compare) and is_current(b, c, compare=compare):
        assert is_current(a, c, compare=compare)


@given(st.sampled_from(["python", "semantic"]), st.data())
def test_unequal_variant_implies_ordered_variant(compare: str, data: st.DataObject) -> None:
    """Whenever the *_unequal scheme says current, the ordering scheme agrees."""
    strategy = pep440_versions() if compare == "python" else semver_versions()
    a, b = data.draw(strategy), data.draw(strategy)
    if is_current(a, b, compare=f"{compare}_unequal"):
        assert is_current(a, b, compare=compare)


@given(st.sampled_from(["python", "python_unequal", "semantic", "semantic_unequal"]), st.data())
def test_force_base_compares_the_local_base_version(compare: str, data: st.DataObject) -> None:
    """force_base=True answers like comparing the local release part without force_base."""
    strategy = pep440_versions() if compare.startswith("python") else semver_versions()
    local, remote = data.draw(strategy), data.draw(strategy)
    if compare.startswith("python"):
        base = base_version(local)
    else:
        version = parse_semantic(local)
        base = f"{version.major}.{version.minor}.{version.patch}"
    assert is_current(local, remote, compare=compare, force_base=True) is is_current(
        base, remote, compare=compare
    )


@given(st.sampled_from(COMPARE_SCHEMES), release_versions(), release_versions())
def test_schemes_agree_on_plain_releases(compare: str, local: str, remote: str) -> None:
    """For plain X.Y.Z versions every scheme agrees with integer tuple order."""
    a = tuple(int(p) for p in local.split("."))
    b = tuple(int(p) for p in remote.split("."))
    expected = a == b if compare.endswith("unequal") else b <= a
    assert is_current(local, remote, compare=compare) is expected


@given(st.lists(st.one_of(pep440_versions(), hostile_strings()), max_size=8))
def test_newest_is_current_against_every_parseable_candidate(candidates: list[str]) -> None:
    """newest picks a candidate that no other parseable candidate is newer than."""
    best = newest(candidates)
    parseable = []
    for text in candidates:
        with contextlib.suppress(CheckError):
            parseable.append(parse_version(text))
    if not parseable:
        assert best is None
        return
    assert best in candidates
    assert all(parse_version(best) >= other for other in parseable)


@given(hostile_strings())
def test_hostile_strings_parse_or_raise_check_error(text: str) -> None:
    """Any text gives a version or a CheckError, never another exception type."""
    for parse in (parse_version, parse_semantic, base_version):
        try:
            parse(text)
        except CheckError as exc:
            assert str(exc)


@given(st.sampled_from(COMPARE_SCHEMES), hostile_strings(), pep440_versions())
def test_hostile_strings_compare_or_raise_check_error(
    compare: str, hostile: str, version: str
) -> None:
    """Comparing against hostile text gives a bool or a CheckError, in either position."""
    for local, remote in ((hostile, version), (version, hostile)):
        try:
            result = is_current(local, remote, compare=compare)
        except CheckError:
            continue
        assert isinstance(result, bool)


def test_compare_methods_are_the_seeds_names() -> None:
    """COMPARE_METHODS lists exactly the seed's release_compare values."""
    assert set(COMPARE_METHODS) == {
        "python",
        "python_unequal",
        "semantic",
        "semantic_unequal",
        "unequal",
        "custom",
    }
