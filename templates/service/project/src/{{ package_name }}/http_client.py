"""Calls to other services over HTTP: timeouts, retries, request-id propagation, one log line each.

Authentication is an ``httpx2.Auth`` passed in, so token propagation plugs in
without changing callers.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import httpx2
import structlog

REQUEST_ID_HEADER = "X-Request-ID"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})

log = structlog.stdlib.get_logger(__name__)


class ServiceClient:
    """An HTTP client for one downstream service, named ``target`` in its log lines.

    Idempotent requests are retried on connection errors, timeouts and
    429/502/503/504, with exponential backoff; others are sent once, because
    repeating them could repeat their effect.
    """

    def __init__(
        self,
        base_url: str,
        *,
        target: str,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.2,
        auth: httpx2.Auth | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.target = target
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._client = httpx2.AsyncClient(
            base_url=base_url,
            timeout=httpx2.Timeout(timeout),
            auth=auth,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        """Send a request, retrying it when that is safe; raise the last transport error."""
        method = method.upper()
        headers = httpx2.Headers(kwargs.pop("headers", None))
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id and REQUEST_ID_HEADER not in headers:
            headers[REQUEST_ID_HEADER] = str(request_id)
        attempts = 1 + (self.retries if method in IDEMPOTENT_METHODS else 0)
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            try:
                response = await self._client.request(method, path, headers=headers, **kwargs)
            except httpx2.TransportError as error:
                self._log(method, path, None, started, attempt, error=type(error).__name__)
                if attempt == attempts:
                    raise
            else:
                self._log(method, path, response.status_code, started, attempt)
                if response.status_code not in RETRY_STATUSES or attempt == attempts:
                    return response
            await self._sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    async def get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx2.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx2.Response:
        return await self.request("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx2.Response:
        return await self.request("DELETE", path, **kwargs)

    def _log(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        attempt: int,
        **extra: str,
    ) -> None:
        log.info(
            "http_call",
            target=self.target,
            method=method,
            path=path,
            status=status,
            attempt=attempt,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            **extra,
        )
