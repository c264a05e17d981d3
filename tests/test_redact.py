"""Masking credentials written into URLs before text is shown, emitted or stored."""

from __future__ import annotations

import pytest

from softwareupdate_core.redact import redact_urls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://bob:SECRETTOKEN@host/p.zip", "https://***@host/p.zip"),
        ("https://SECRETTOKEN@host/p.zip", "https://***@host/p.zip"),
        (
            "pkg @ git+https://bob:SECRETTOKEN@git.example/r.git@v1",
            "pkg @ git+https://***@git.example/r.git@v1",
        ),
        ("http://u:p@ss@host:8080/x?y=1", "http://***@host:8080/x?y=1"),
        ("'https://oauth2:SECRETTOKEN@host/a b'", "'https://***@host/a b'"),
    ],
)
def test_the_userinfo_of_a_url_is_masked(text: str, expected: str) -> None:
    """``user:pass@``, a lone token, ``git+https`` and an unencoded ``@`` lose their userinfo."""
    assert redact_urls(text) == expected


def test_every_url_in_a_text_is_masked() -> None:
    """Several URLs in one line are each masked; scheme, host and path stay."""
    text = "from https://a:SECRET1@one.example/x to ftp://SECRET2@two.example/y and https://three/z"
    assert redact_urls(text) == (
        "from https://***@one.example/x to ftp://***@two.example/y and https://three/z"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "pip install pkg==1.0",
        "mail bob@example.com about it",
        "https://host/path?user=me@example.com",
        "https://host/a#frag@x",
        "https://host/ then bob@example.com",
        "pkg @ https://host/pkg.zip",
    ],
)
def test_text_without_url_credentials_is_unchanged(text: str) -> None:
    """Text with no URL, or an ``@`` outside a URL's userinfo, is returned as it was."""
    assert redact_urls(text) == text


def test_keep_user_masks_only_the_password() -> None:
    """With ``keep_user`` a user name stays beside the masked password; a lone token is hidden."""
    assert redact_urls("https://me:SECRET@host/", keep_user=True) == "https://me:***@host/"
    assert redact_urls("https://SECRET@host/", keep_user=True) == "https://***@host/"
    assert redact_urls("https://:SECRET@host/", keep_user=True) == "https://***@host/"


def test_masking_twice_changes_nothing_more() -> None:
    """Already masked text stays the same when masked again."""
    once = redact_urls("https://bob:SECRET@host/x")
    assert redact_urls(once) == once
    assert "SECRET" not in once


def test_config_masking_hides_a_lone_token_in_a_url() -> None:
    """``config show`` masking hides ``https://TOKEN@host`` and the whole ``user:pass``."""
    from softwareupdate_core.cli.render import mask_secrets

    masked = mask_secrets({"pip": "https://SECRETTOKEN@host/p.zip", "url": "https://me:pw@h/"})
    assert masked == {"pip": "https://***@host/p.zip", "url": "https://***@h/"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://h/api?token=SECRET&page=2", "https://h/api?token=***&page=2"),
        ("https://h/x?page=2&private_token=SECRET", "https://h/x?page=2&private_token=***"),
        ("GET /v.json?access_key=SECRET HTTP/1.1", "GET /v.json?access_key=*** HTTP/1.1"),
        (
            "https://s3/x?X-Amz-Signature=SECRET&sig=SECRET",
            "https://s3/x?X-Amz-Signature=***&sig=***",
        ),
        ("https://h/?monkey=1&design=2&author=me", "https://h/?monkey=1&design=2&author=me"),
    ],
)
def test_secret_query_values_are_masked(text: str, expected: str) -> None:
    """Values of secret-looking query parameters are masked; other parameters stay."""
    assert redact_urls(text) == expected


def test_redact_value_masks_secret_keys_values_and_url_keys() -> None:
    """Secret keys' values, URL secrets in values and URL-shaped keys are all masked."""
    from softwareupdate_core.redact import redact_value

    masked = redact_value(
        {"api_password": 123, "url": "https://h/?token=T", "https://u:P@f/api": "x", "n": [1]}
    )
    assert masked == {
        "api_password": "***",
        "url": "https://h/?token=***",
        "https://***@f/api": "x",
        "n": [1],
    }
