"""HTTP transport: the only module that imports aiohttp.

It owns the session, sends one request, hands back a :class:`Response` whatever its status,
and translates every aiohttp failure into our error tree in one place (:func:`translate_error`).
aiohttp exceptions are never chained: their repr carries request headers, Authorization too.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import platform
import ssl as _ssl
import sys
import threading
import weakref
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
import anyio
from multidict import CIMultiDictProxy
from yarl import URL

from ._config import DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT, Timeout, origin_of
from ._exceptions import (
    APIConnectionError,
    ClientClosedError,
    DecodeError,
    EventLoopError,
    HfInferenceError,
    HTTPStatusError,
    IncompleteStreamError,
    InferenceTimeoutError,
    InvalidInputError,
    error_from_response,
)
from ._version import __version__

if TYPE_CHECKING:
    from typing_extensions import Self

USER_AGENT: Final = (
    f"hf_inference/{__version__}; python/{platform.python_version()}; aiohttp/{aiohttp.__version__}"
)

REQUEST_ID_HEADERS: Final = ("x-request-id", "x-amzn-trace-id", "x-amz-cf-id")
#: Socket read size for event streams. asyncio's selector transport reads up to 256 KiB per
#: recv(): a fresh 256 KiB bytes object per read, which glibc maps, shrinks to the data and
#: unmaps (three syscalls more per read, and a paced stream is one read per token). A 64 KiB
#: buffer comes from the heap.
STREAM_READ_SIZE: Final = 64 * 1024

Body = bytes | bytearray | memoryview | AsyncIterable[bytes] | None


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or url[:40]


class ReadWatchdog:
    """Idle-read and deadline timer that costs two attribute stores per read.

    Re-arming a timer on every socket read (as aiohttp's ``sock_read`` does) shows up in the
    per-token profile, so reads only record when they started waiting (``waiting_since``, None
    while no read is pending); the one timer, when it fires, checks whether a read really sat
    idle and otherwise re-arms itself. Time the consumer spends between reads never counts as
    idle: a slow consumer is not a stalled server.
    """

    __slots__ = ("_content", "_deadline", "_handle", "_idle", "_loop", "_model", "waiting_since")

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
        self.waiting_since: float | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._schedule(self._loop.time())

    def _due(self, now: float) -> float | None:
        idle_due = None
        if self._idle is not None:
            since = self.waiting_since
            idle_due = (since if since is not None else now) + self._idle
        if idle_due is None:
            return self._deadline
        if self._deadline is None:
            return idle_due
        return min(idle_due, self._deadline)

    def _schedule(self, now: float) -> None:
        due = self._due(now)
        self._handle = self._loop.call_at(due, self._fire) if due is not None else None

    def _fire(self) -> None:
        now = self._loop.time()
        deadline_passed = self._deadline is not None and now >= self._deadline
        since = self.waiting_since
        idle_passed = self._idle is not None and since is not None and now >= since + self._idle
        if not (deadline_passed or idle_passed):
            self._schedule(now)
            return
        self._handle = None
        if deadline_passed:
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


if sys.version_info >= (3, 11):
    # One timer handle per stream open: a third of the CPU of an anyio cancel scope, which
    # is the dearest step of opening a short stream.
    _time_limit = asyncio.timeout
else:

    @asynccontextmanager
    async def _time_limit(delay: float) -> AsyncIterator[None]:
        with anyio.fail_after(delay):
            yield


def _retrieve(future: asyncio.Future[None]) -> None:
    # A connection lost with an error sets it on this future; read it so asyncio does not
    # log "exception was never retrieved" for a future nobody else awaits.
    if not future.cancelled():
        future.exception()


class Response:
    """One HTTP answer: status, headers and a body to read whole or chunk by chunk."""

    __slots__ = (
        "_armed",
        "_deadline",
        "_lost",
        "_raw",
        "_read_timeout",
        "_watchdog",
        "headers",
        "model",
        "status",
    )

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
        self._read_timeout = timeout.read
        self._deadline = deadline
        # The timers and the connection watch are set up by the first read that has to wait:
        # a short answer that came with its headers never needs them (and never pays for them).
        self._armed = False
        self._watchdog: ReadWatchdog | None = None
        self._lost: asyncio.Future[None] | None = None

    @property
    def url(self) -> str:
        """The request URL without its query."""
        return str(self._raw.url.with_query(None))

    @property
    def request_id(self) -> str | None:
        """The server's request id (``x-request-id`` or a CDN trace id), if it sent one."""
        headers = self.headers
        for name in REQUEST_ID_HEADERS:
            value = headers.get(name)
            if value is not None:
                return value
        return None

    def use_stream_reads(self) -> None:
        """Read this connection's socket ``STREAM_READ_SIZE`` bytes at a time (an event stream:
        small events, one read each). A no-op on transports without ``max_size`` (uvloop's)."""
        connection = self._raw.connection
        transport = connection.transport if connection is not None else None
        size = getattr(transport, "max_size", None)
        if isinstance(size, int) and size > STREAM_READ_SIZE:
            setattr(transport, "max_size", STREAM_READ_SIZE)  # noqa: B010 (asyncio's, untyped)

    def _arm(self) -> None:
        self._armed = True
        raw = self._raw
        if self._read_timeout is not None or self._deadline is not None:
            self._watchdog = ReadWatchdog(
                raw.content, self._read_timeout, self._deadline, self.model
            )
        # aiohttp leaves a body reader waiting forever when its parser fails mid-body (a
        # broken chunk frame): it closes the socket but tells only the connection. Watching
        # the connection close turns that into an error at once instead of a read timeout.
        connection = raw.connection
        protocol = connection.protocol if connection is not None else None
        lost = protocol.closed if protocol is not None else None
        if lost is None:
            return
        if lost.done():
            self._connection_lost(lost)
            return
        lost.remove_done_callback(_retrieve)
        lost.add_done_callback(_retrieve)
        lost.add_done_callback(self._connection_lost)
        self._lost = lost

    def _connection_lost(self, _: asyncio.Future[None]) -> None:
        self._lost = None
        content = self._raw.content
        if content.exception() is None and not content.is_eof():
            content.set_exception(
                IncompleteStreamError(
                    "the connection closed before the end of the response body",
                    status=self.status,
                    model=self.model,
                    request_id=self.request_id,
                )
            )

    def _forget_connection(self) -> None:
        lost, self._lost = self._lost, None
        if lost is not None:
            lost.remove_done_callback(self._connection_lost)

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower case (``text/event-stream``)."""
        value = self.headers.get("Content-Type", "")
        return value.partition(";")[0].strip().lower()

    async def read_chunk(self) -> bytes:
        """The next bytes of the body as they arrived; ``b""`` at the end of the body."""
        content = self._raw.content
        try:
            if not self._armed:
                data = content.read_nowait()
                if data or content.is_eof():
                    return data
                self._arm()
            watchdog = self._watchdog
            if watchdog is None:
                return await content.readany()
            watchdog.waiting_since = watchdog._loop.time()
            data = await content.readany()
            watchdog.waiting_since = None
            return data
        except HfInferenceError:
            self.close()
            raise
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
            self.close()
            error = translate_error(exc, model=self.model, request_id=self.request_id)
            if isinstance(error, APIConnectionError):
                # The headers arrived, so whatever broke the connection cut the body short.
                error = IncompleteStreamError(
                    f"the response body broke off before its end: {error.message}",
                    status=self.status,
                    model=self.model,
                    request_id=self.request_id,
                )
        # Raised outside the except block so the aiohttp exception is not even kept as
        # __context__: its repr carries the request headers.
        raise error

    async def read(self, max_size: int = DEFAULT_MAX_RESPONSE_SIZE) -> bytes:
        """The whole body, refusing more than ``max_size`` bytes (after decompression).

        Decompression happens chunk by chunk (aiohttp inflates at most a few hundred KiB per
        read), so a compressed bomb is stopped at ``max_size`` without being inflated whole.
        """
        length = self._raw.content_length
        if length is not None and length > max_size:
            self.close()
            raise self._too_large(max_size)
        try:
            first = await self.read_chunk()
            if not first:
                self.release()
                return first
            if len(first) > max_size:
                raise self._too_large(max_size)
            if self._raw.content.at_eof():
                self.release()  # the common short answer: it all came in one piece
                return first
            second = await self.read_chunk()
            if not second:
                self.release()
                return first
            parts = [first, second]
            size = len(first) + len(second)
            if size > max_size:
                raise self._too_large(max_size)
            while chunk := await self.read_chunk():
                size += len(chunk)
                if size > max_size:
                    raise self._too_large(max_size)
                parts.append(chunk)
        except BaseException:
            # Too large, broken, timed out or cancelled: the rest of the body is never read,
            # so the connection cannot go back to the pool.
            self.close()
            raise
        self.release()
        return b"".join(parts)

    async def read_error_body(self, limit: int = 64 * 1024) -> bytes:
        """At most ``limit`` bytes of an error answer; never raises for the body itself.

        The status is what matters: a huge, stalled or broken error body must not hide it.
        """
        parts: list[bytes] = []
        size = 0
        try:
            while size <= limit:
                chunk = await self.read_chunk()
                if not chunk:
                    self.release()
                    return b"".join(parts)
                parts.append(chunk)
                size += len(chunk)
        except HfInferenceError:
            pass  # read_chunk closed the connection already
        except BaseException:
            self.close()
            raise
        self.close()
        return b"".join(parts)[:limit]

    async def status_error(self, model: str | None) -> HTTPStatusError:
        """The typed error of a non-2xx answer, its (capped) body read and released."""
        body = await self.read_error_body()
        status = self.status
        if status >= 400:
            return error_from_response(
                status, self.headers, body, model=model, request_id=self.request_id
            )
        location = self.headers.get("Location", "")
        host = urlsplit(location).netloc.rpartition("@")[2] if location else ""
        return HTTPStatusError(
            f"the server redirected ({status}){f' to {host}' if host else ''}; redirects are "
            "not followed (a POST would lose its body or leak its headers): call the target "
            "URL directly",
            status=status,
            model=model,
            request_id=self.request_id,
            body=body,
            headers=self.headers,
        )

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
        if self._lost is not None:
            self._forget_connection()
        self._raw.release()

    def close(self) -> None:
        """Drop the connection: the peer sees the socket close."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._lost is not None:
            self._forget_connection()
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
    if isinstance(exc, aiohttp.ClientResponseError):
        # aiohttp's own parser failing on what the server sent (it reports a "400").
        return APIConnectionError(f"the server sent a malformed HTTP answer{where}", **common)
    if isinstance(exc, aiohttp.ClientError):
        return APIConnectionError(f"HTTP client error{where}: {type(exc).__name__}", **common)
    return APIConnectionError(f"request failed{where}: {type(exc).__name__}", **common)


#: A proxy URL and its ``Proxy-Authorization`` value.
Proxy = tuple[URL | None, str | None]
_NO_PROXY: Final[Proxy] = (None, None)


CLOSED_MESSAGE: Final = (
    "the client is closed (aclose()/close() was called, or its `async with` block ended): "
    "create a new AsyncInferenceClient, or make the call inside the block"
)


class Transport:
    """Owns one aiohttp session per event loop, created lazily inside the running loop.

    aiohttp's connections belong to the loop that opened them, so a client used by two
    ``asyncio.run()`` calls in turn gets a fresh session in each: the session is closed when its
    loop shuts down its async generators (``asyncio.run`` and anyio do, at exit), the one
    moment an awaited close is still possible. A session passed in by the user is used as is
    and never closed here.

    ``trust_env`` is applied here, not by aiohttp: aiohttp's own ``trust_env`` reads
    ``~/.netrc`` in a thread on every request (twice), sends its credentials to any host
    when no token is set, and fails every request ("Cannot combine AUTHORIZATION header")
    when it holds an entry for a host we send a token to. Proxies come from
    ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` (read once, at the first request; proxy
    credentials go in the proxy URL), ``~/.netrc`` is not read.
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
        #: The loop our own session belongs to (None for a session passed in).
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None
        self._owns_session = session is None
        self._max_connections = max_connections
        self._ssl = ssl
        self._trust_env = trust_env
        self._client_timeouts: dict[tuple[Timeout, float | None], aiohttp.ClientTimeout] = {}
        self._proxies: dict[str, Proxy] | None = None
        self._proxy_for: dict[tuple[str, str], Proxy] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def session(self, loop: asyncio.AbstractEventLoop | None = None) -> aiohttp.ClientSession:
        """The session of the running loop (``loop``, when the caller has it at hand)."""
        if self._closed:
            raise ClientClosedError(CLOSED_MESSAGE)
        session = self._session
        if session is not None and (
            not self._owns_session or self._session_loop is (loop or asyncio.get_running_loop())
        ):
            return session
        return self._open_session(loop or asyncio.get_running_loop())

    def _open_session(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        previous = self._session_loop
        if self._session is not None and previous is not None:
            if previous.is_running():
                raise EventLoopError(
                    "this client's connections belong to another event loop, still running "
                    f"(thread {_loop_thread_name(previous)}): make one AsyncInferenceClient per "
                    "event loop, or send the call to that loop "
                    "(asyncio.run_coroutine_threadsafe)"
                )
            # That loop stopped without shutting down its async generators: its connections
            # died with it, nothing can close them from this loop.
            self._session = None
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, limit_per_host=0, ssl=self._ssl
        )
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            auto_decompress=True,
        )
        self._session, self._session_loop = session, loop
        closer = self._close_at_loop_shutdown(session)
        with contextlib.suppress(StopIteration):
            closer.__anext__().send(None)  # runs up to the yield: the loop now tracks it
        self._closer = closer
        _OPEN_TRANSPORTS.add(self)
        return session

    async def _close_at_loop_shutdown(
        self, session: aiohttp.ClientSession
    ) -> AsyncGenerator[None, None]:
        # The loop finalises the async generators it tracks in shutdown_asyncgens(), while it
        # still runs; the next loop to use this client then opens a session of its own.
        try:
            yield
        finally:
            if self._session is session:
                self._session = self._session_loop = None
            await session.close()

    def _proxy(self, url: str) -> Proxy:
        """The environment's proxy for ``url`` (and its credentials), cached per host."""
        if not (self._trust_env and self._owns_session):
            return _NO_PROXY
        scheme, host, _ = origin_of(url)
        key = (scheme, host)
        found = self._proxy_for.get(key)
        if found is None:
            if self._proxies is None:
                self._proxies = _environment_proxies()
            found = self._proxies.get(key[0], _NO_PROXY)
            if found[0] is not None and key[1] and proxy_bypass(key[1]):
                found = _NO_PROXY
            if len(self._proxy_for) >= 256:
                self._proxy_for.clear()
            self._proxy_for[key] = found
        return found

    def _client_timeout(self, timeout: Timeout, sock_read: float | None) -> aiohttp.ClientTimeout:
        key = (timeout, sock_read)
        cached = self._client_timeouts.get(key)
        if cached is None:
            # Never aiohttp's total=300: a healthy stream may last longer. A stream's idle
            # reads are watched by ReadWatchdog, not by sock_read (which re-arms a timer on
            # every read); sock_read only bounds the wait for a plain answer's headers.
            cached = aiohttp.ClientTimeout(
                total=None, connect=timeout.pool, sock_connect=timeout.connect, sock_read=sock_read
            )
            self._client_timeouts[key] = cached
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
        stream: bool = False,
    ) -> Response:
        """Send one request and return its response once the headers arrived."""
        loop = asyncio.get_running_loop()
        session = self.session(loop)
        started = loop.time()
        first_byte = timeout.first_byte
        phase = "first_byte"
        if deadline is not None:
            remaining = deadline - started
            if first_byte is None or remaining < first_byte:
                first_byte, phase = remaining, "total"
            if remaining <= 0:
                raise InferenceTimeoutError(
                    "the call's total deadline passed", phase="total", model=model
                )
        # A plain answer's wait for headers is bounded by aiohttp's sock_read (no cancel scope
        # per request); a stream, or a call with a deadline, uses a cancel scope instead.
        scoped = first_byte is not None and (stream or deadline is not None)
        client_timeout = self._client_timeout(timeout, None if scoped else first_byte)
        proxy, proxy_auth = self._proxy(url)
        proxy_headers = None
        if proxy_auth is not None:
            # A plain-HTTP request carries it itself; an HTTPS one on its CONNECT.
            if url.startswith("http:"):
                headers = {**headers, "Proxy-Authorization": proxy_auth}
            else:
                proxy_headers = {"Proxy-Authorization": proxy_auth}
        request = session.request(
            method,
            url,
            headers=headers,
            data=body,
            timeout=client_timeout,
            allow_redirects=False,
            proxy=proxy,
            proxy_headers=proxy_headers,
        )
        try:
            if scoped and first_byte is not None:
                async with _time_limit(first_byte):
                    raw = await request
            else:
                raw = await request
        except aiohttp.ConnectionTimeoutError as exc:
            # aiohttp's ``connect`` limit (our ``pool``) covers waiting for a free connection
            # and connecting; its ``sock_connect`` (our ``connect``) the connecting alone.
            error = translate_error(exc, model=model, url=url)
            if timeout.pool is not None and loop.time() - started >= timeout.pool:
                error = InferenceTimeoutError(
                    f"no connection within {timeout.pool:g} s ({_host_of(url)}; "
                    "all connections busy or connecting too slowly)",
                    phase="pool",
                    model=model,
                )
        except (TimeoutError, aiohttp.ServerTimeoutError):
            if phase == "total":
                message = f"the call's total deadline passed before the answer ({_host_of(url)})"
            else:
                message = f"no response headers within {first_byte:g} s ({_host_of(url)})"
            error = InferenceTimeoutError(message, phase=phase, model=model)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            error = translate_error(exc, model=model, url=url)
        else:
            return Response(raw, model=model, timeout=timeout, deadline=deadline)
        # Outside the except blocks: no aiohttp exception (whose repr carries the request
        # headers, Authorization included) survives even as __context__.
        raise error

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        # Dropping the closer lets the loop finalise it (a no-op close: done just below).
        self._closer = self._session_loop = None
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


#: Transports whose session may still be open, for the exit-time close below.
_OPEN_TRANSPORTS: weakref.WeakSet[Transport] = weakref.WeakSet()


@atexit.register
def _close_left_open() -> None:
    """Close sessions whose loop stopped without shutting down its async generators.

    ``python -m asyncio`` (the REPL the docs suggest) stops its loop that way; the loop is
    still usable, so running it once more closes the connections instead of leaving aiohttp to
    warn about them ("Unclosed connector") while the interpreter exits.
    """
    for transport in list(_OPEN_TRANSPORTS):
        closer, loop = transport._closer, transport._session_loop
        if closer is None or loop is None or loop.is_running() or loop.is_closed():
            continue
        with contextlib.suppress(Exception):
            loop.run_until_complete(closer.aclose())


def _loop_thread_name(loop: asyncio.AbstractEventLoop) -> str:
    thread_id = getattr(loop, "_thread_id", None)
    for thread in threading.enumerate():
        if thread.ident == thread_id:
            return repr(thread.name)
    return "unknown"


def _environment_proxies() -> dict[str, Proxy]:
    """``http``/``https`` proxies of the environment; aiohttp speaks HTTP to proxies only."""
    proxies: dict[str, Proxy] = {}
    for scheme, value in getproxies().items():
        if scheme not in ("http", "https"):
            continue
        try:
            proxy = URL(value)
        except (TypeError, ValueError):
            continue
        if proxy.scheme != "http" or not proxy.host:
            continue
        auth = None
        if proxy.user is not None:
            pair = f"{proxy.user}:{proxy.password or ''}".encode()
            auth = "Basic " + base64.b64encode(pair).decode("ascii")
        proxies[scheme] = (proxy.with_user(None), auth)
    return proxies


def default_headers() -> dict[str, str]:
    return {"user-agent": USER_AGENT}
