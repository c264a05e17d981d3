"""Fake remote services (GitHub API, a PEP 691 package index) served by the test HTTP server."""
