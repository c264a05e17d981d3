"""How much rate limit a forced re-check of unchanged GitHub repositories costs.

Runs ``github_release`` for N repositories against the fake GitHub on 127.0.0.1 twice with one
HTTP client: the first round stores ETags, the second (forced, nothing changed) sends
conditional requests. GitHub does not charge a 304 to a request with a token, so with a token
the re-check should cost nothing; without one every request is charged.

Run from the repository root: ``python -m benchmarks.conditional_requests [N]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import attrs


@attrs.frozen
class Measurement:
    """What the forced re-check did, as the fake GitHub counted it."""

    repositories: int
    with_token: bool
    requests: int
    not_modified: int
    charged: int


def measure(repositories: int = 20, *, with_token: bool) -> Measurement:
    """Check ``repositories`` unchanged repositories twice; count the second round's cost."""
    from softwareupdate_core.http import HttpClient
    from softwareupdate_core.version_checks import github_release
    from tests.fakes.github import FakeRelease, mount_github
    from tests.httpserver import FakeServer

    token = "bench-token"
    server = FakeServer().start()
    try:
        github = mount_github(server, token=token)
        github.anonymous.limit = github.anonymous.remaining = 1000
        names = [f"plugin{n}" for n in range(repositories)]
        for name in names:
            github.add_repo("someUser", name, [FakeRelease("1.1.0"), FakeRelease("1.0.0")])
        credentials = {"github": token} if with_token else {}
        with HttpClient() as http:

            def check_all() -> None:
                for name in names:
                    check = {
                        "user": "someUser",
                        "repo": name,
                        "api_url": github.api_url,
                        "current": "1.0.0",
                    }
                    github_release.get_latest(name, check, credentials=credentials, http=http)

            check_all()
            server.reset_counts()
            github.reset_counts()
            check_all()
        return Measurement(
            repositories=repositories,
            with_token=with_token,
            requests=len(server.hits()),
            not_modified=github.not_modified,
            charged=github.charged,
        )
    finally:
        server.stop()


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 20
    print(f"forced re-check of {count} unchanged GitHub repositories")
    for with_token in (True, False):
        result = measure(count, with_token=with_token)
        label = "with token   " if with_token else "without token"
        print(
            f"  {label}: {result.requests} requests, {result.not_modified} answered 304, "
            f"{result.charged} charged to the rate limit"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main(sys.argv[1:])
