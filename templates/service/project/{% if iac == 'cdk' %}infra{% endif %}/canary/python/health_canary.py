"""The health canary's script, run by CloudWatch Synthetics (Python 3.11) every 5 minutes.

A run fails when this raises: unless /health and /ready both answer 200 and echo the
X-Request-ID they were sent, which proves the answer came from the app itself (through
its middleware), not from a load balancer or a cache in front of it.
"""

import os
import urllib.error
import urllib.request
import uuid
from typing import Any

PATHS = ("/health", "/ready")
REQUEST_ID_HEADER = "X-Request-ID"
TIMEOUT_SECONDS = 10


class CheckFailedError(Exception):
    """The API did not answer as a healthy deployment does."""


def check(url: str) -> None:
    """GET ``url`` with a fresh request id; raise unless 200 and the same id comes back."""
    if not url.startswith(("https://", "http://")):
        msg = f"{url!r} is not an HTTP(S) URL"
        raise CheckFailedError(msg)
    request_id = uuid.uuid4().hex
    request = urllib.request.Request(url, headers={REQUEST_ID_HEADER: request_id})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, echoed = response.status, response.headers.get(REQUEST_ID_HEADER)
    except urllib.error.HTTPError as error:
        status, echoed = error.code, error.headers.get(REQUEST_ID_HEADER)
        error.close()
    except OSError as error:
        msg = f"GET {url} failed: {error}"
        raise CheckFailedError(msg) from error
    if status != 200:
        msg = f"GET {url} answered {status}, not 200"
        raise CheckFailedError(msg)
    if echoed != request_id:
        msg = f"GET {url} echoed {REQUEST_ID_HEADER} {echoed!r}, not the {request_id!r} it was sent"
        raise CheckFailedError(msg)


def run(base_url: str) -> str:
    """Check every path under ``base_url``; the first failure stops the run."""
    for path in PATHS:
        check(base_url.rstrip("/") + path)
    return f"{', '.join(PATHS)} answered 200 with the request id"


def handler(event: Any, context: Any) -> str:
    """The entry point Synthetics calls; the deployed API's URL is in API_URL."""
    return run(os.environ["API_URL"])
