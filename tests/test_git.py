"""What chassis reads from git's own words."""

from __future__ import annotations

import pytest

from chassis import git


@pytest.mark.parametrize(
    ("output", "host"),
    [
        ("fatal: unable to access 'https://example.com/t.git/': Could not resolve host: "
         "example.com", "example.com"),
        ("ssh: Could not resolve hostname git.example.com: Name or service not known\n"
         "fatal: Could not read from remote repository.", "git.example.com"),
        ("fatal: unable to access 'https://10.1.2.3:8443/t.git/': Failed to connect to "
         "10.1.2.3 port 8443 after 3 ms: Couldn't connect to server", "10.1.2.3"),
        ("ssh: connect to host gitlab.example.com port 22: Network is unreachable",
         "gitlab.example.com"),
        ("fatal: unable to access 'https://bot:token@git.example.com/t.git/': "
         "OpenSSL SSL_connect: Connection reset by peer", "git.example.com"),
    ],
)  # fmt: skip
def test_a_host_that_cannot_be_reached_is_named(output: str, host: str) -> None:
    assert git.network_failure(output) == host


@pytest.mark.parametrize(
    "output",
    [
        "fatal: '/work/plain' does not appear to be a git repository",
        "fatal: Remote branch 9.9.9 not found in upstream origin",
        "remote: Repository not found.\nfatal: Authentication failed for 'https://x/y.git/'",
        "fatal: unable to access 'https://x.example/y.git/': The requested URL returned error: 403",
    ],
)
def test_other_failures_are_not_network_failures(output: str) -> None:
    assert git.network_failure(output) is None
