"""HTTP transport: the only module that imports aiohttp.

It owns the session, sends one request, hands back a :class:`Response` whatever its status,
and translates every aiohttp failure into our error tree in one place (:func:`translate_error`).
aiohttp exceptions are never chained: their repr carries request headers, Authorization too.
"""

from __future__ import annotations

import asyncio
import platform
import ssl as _ssl
import sys
from collections.abc import AsyncIterable, Mapping
from contextlib import nullcontext
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import aiohttp
import anyio
from multidict import CIMultiDictProxy

from ._config import DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT, Timeout
from ._exceptions import (
    APIConnectionError,
    DecodeError,
    HfInferenceError,
    IncompleteStreamError,
    InferenceTimeoutError,
    InvalidInputError,
)
from ._version import __version__

if TYPE_CHECKING:
    from typing_extensions import Self

USER_AGENT: Final = (
    f"hf_inference/{__version__}; python/{platform.python_version()}; aiohttp/{aiohttp.__version__}"
)

REQUEST_ID_HEADERS: Final = ("x-request-id", "x-amzn-trace-id", "x-amz-cf-id")

Body = bytes | bytearray | memoryview | AsyncIterable[bytes] | None


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or url[:40]


class ReadWatchdog:
    """Idle-read and deadline timer that costs one attribute store per read.

    Re-arming a timer on every socket read (as aiohttp's ``sock_read`` does) shows up in the
    per-token profile, so reads only record ``last_read``; the one timer, when it fires, checks
    whether the stream was really idle and otherwise re-arms itself for the remaining time.
    """

    __slots__ = ("_content", "_deadline", "_handle", "_idle", "_loop", "_model", "last_read")

    def __init__(
        self,
        content: aiohttp.StreamReader,
        idle: float | None,
        deadline: float | None,
        model: str | None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._content = content
        self._idle = idle
        self._deadline = deadline
        self._model = model
        self.last_read = self._loop.time()
        self._handle: asyncio.TimerHandle | None = None
        self._schedule()

    def _due(self) -> float | None:
        idle_due = self.last_read + self._idle if self._idle is not None else None
        if idle_due is None:
            return self._deadline
        if self._deadline is None:
            return idle_due
        return min(idle_due, self._deadline)

    def _schedule(self) -> None:
        due = self._due()
        self._handle = self._loop.call_at(due, self._fire) if due is not None else None

    def _fire(self) -> None:
        due = self._due()
        if due is None:
            return
        if self._loop.time() < due:
            self._handle = self._loop.call_at(due, self._fire)
            return
        self._handle = None
        if self._deadline is not None and due >= self._deadline:
            error = InferenceTimeoutError(
                "the call's total deadline passed", phase="total", model=self._model
            )
        else:
            error = InferenceTimeoutError(
                f"no data received for {self._idle:g} s (read timeout)",
                phase="read",
                model=self._model,
            )
        self._content.set_exception(error)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class Response:
    """One HTTP answer: status, headers and a body to read whole or chunk by chunk."""

    __slots__ = ("_raw", "_watchdog", "headers", "model", "request_id", "status", "url")

    def __init__(
        self,
        raw: aiohttp.ClientResponse,
        *,
        model: str | None,
        timeout: Timeout,
        deadline: float | None,
    ) -> None:
        self._raw = raw
        self.status: int = raw.status
        self.headers: CIMultiDictProxy[str] = raw.headers
        self.model = model
        self.url = str(raw.url.with_query(None))
        self.request_id = next(
            (raw.headers[h] for h in REQUEST_ID_HEADERS if h in raw.headers), None
        )
        self._watchdog: ReadWatchdog | None = None
        if timeout.read is not None or deadline is not None:
            self._watchdog = ReadWatchdog(raw.content, timeout.read, deadline, model)

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower case (``text/event-stream``)."""
        value = self.headers.get("Content-Type", "")
        return value.partition(";")[0].strip().lower()

    async def read_chunk(self) -> bytes:
        """The next bytes of the body as they arrived; ``b""`` at the end of the body."""
        try:
            data = await self._raw.content.readany()
        except HfInferenceError:
            self.close()
            raise
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
            self.close()
            raise translate_error(exc, model=self.model, request_id=self.request_id) from None
        if self._watchdog is not None:
            self._watchdog.last_read = self._watchdog._loop.time()
        return data

    async def read(self, max_size: int = DEFAULT_MAX_RESPONSE_SIZE) -> bytes:
        """The whole body, refusing more than ``max_size`` bytes (after decompression)."""
        length = self._raw.content_length
        if length is not None and length > max_size:
            self.close()
            raise self._too_large(max_size)
        first = await self.read_chunk()
        if not first:
            self.release()
            return first
        second = await self.read_chunk()
        if not second:
            self.release()
            return first
        parts = [first, second]
        size = len(first) + len(second)
        while chunk := await self.read_chunk():
            size += len(chunk)
            if size > max_size:
                self.close()
                raise self._too_large(max_size)
            parts.append(chunk)
        self.release()
        return b"".join(parts)

    def _too_large(self, max_size: int) -> DecodeError:
        return DecodeError(
            f"response body larger than max_response_size ({max_size} bytes)",
            status=self.status,
            model=self.model,
            request_id=self.request_id,
        )

    @property
    def at_eof(self) -> bool:
        return self._raw.content.at_eof()

    def release(self) -> None:
        """Give the connection back to the pool (or drop it if the body was not read)."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._raw.release()

    def close(self) -> None:
        """Drop the connection: the peer sees the socket close."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._raw.close()

    @property
    def closed(self) -> bool:
        return self._raw.closed


def translate_error(
    exc: BaseException, *, model: str | None, url: str | None = None, request_id: str | None = None
) -> HfInferenceError:
    """Map an aiohttp/OS/timeout failure to our tree, keeping only safe facts (host, reason)."""
    where = f" ({_host_of(url)})" if url else ""
    common: dict[str, Any] = {"model": model, "request_id": request_id}
    if isinstance(exc, HfInferenceError):
        return exc
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return InferenceTimeoutError(f"timed out connecting{where}", phase="connect", **common)
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        return InferenceTimeoutError(f"timed out waiting for the server{where}", **common)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return APIConnectionError(f"TLS handshake or certificate check failed{where}", **common)
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = type(exc.os_error).__name__ if exc.os_error is not None else "error"
        return APIConnectionError(f"cannot connect{where}: {reason}", **common)
    if isinstance(exc, aiohttp.InvalidURL):
        return InvalidInputError(f"invalid URL{where}", **common)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return APIConnectionError(f"server closed the connection{where}", **common)
    if isinstance(exc, aiohttp.ClientPayloadError | asyncio.IncompleteReadError):
        return IncompleteStreamError(f"the response body broke off before its end{where}", **common)
    if isinstance(exc, aiohttp.ClientOSError | ConnectionError):
        return APIConnectionError(f"connection failed{where}: {type(exc).__name__}", **common)
    if isinstance(exc, aiohttp.ClientError):
        return APIConnectionError(f"HTTP client error{where}: {type(exc).__name__}", **common)
    return APIConnectionError(f"request failed{where}: {type(exc).__name__}", **common)


class Transport:
    """Owns one aiohttp session, created lazily inside the running event loop.

    A session passed in by the user is used as is and never closed here.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        max_connections: int = 100,
        ssl: _ssl.SSLContext | bool = True,
        trust_env: bool = True,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._max_connections = max_connections
        self._ssl = ssl
        self._trust_env = trust_env
        self._client_timeouts: dict[Timeout, aiohttp.ClientTimeout] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the client is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, limit_per_host=0, ssl=self._ssl
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=self._trust_env,
                auto_decompress=True,
            )
        return self._session

    def _client_timeout(self, timeout: Timeout) -> aiohttp.ClientTimeout:
        cached = self._client_timeouts.get(timeout)
        if cached is None:
            # Never aiohttp's total=300: a healthy stream may last longer. Idle reads are
            # watched by ReadWatchdog, not by sock_read (which re-arms a timer per read).
            cached = aiohttp.ClientTimeout(
                total=None, connect=timeout.pool, sock_connect=timeout.connect, sock_read=None
            )
            self._client_timeouts[timeout] = cached
        return cached

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: Body = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        model: str | None = None,
        deadline: float | None = None,
    ) -> Response:
        """Send one request and return its response once the headers arrived."""
        session = self.session()
        first_byte = timeout.first_byte
        if deadline is not None:
            remaining = deadline - asyncio.get_running_loop().time()
            first_byte = remaining if first_byte is None else min(first_byte, remaining)
        scope = anyio.fail_after(first_byte) if first_byte is not None else nullcontext()
        try:
            with scope:
                raw = await session.request(
                    method,
                    url,
                    headers=headers,
                    data=body,
                    timeout=self._client_timeout(timeout),
                    allow_redirects=False,
                )
        except aiohttp.ConnectionTimeoutError as exc:
            raise translate_error(exc, model=model, url=url) from None
        except TimeoutError:
            raise InferenceTimeoutError(
                f"no response headers within {first_byte:g} s ({_host_of(url)})",
                phase="first_byte",
                model=model,
            ) from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise translate_error(exc, model=model, url=url) from None
        return Response(raw, model=model, timeout=timeout, deadline=deadline)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def default_headers() -> dict[str, str]:
    return {"user-agent": USER_AGENT}


PY_310: Final = sys.version_info < (3, 11)
