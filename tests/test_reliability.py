"""Retries, model loading, timeouts, cancellation and limits against the local server.

Every test talks to a real aiohttp server on 127.0.0.1 over real sockets. Backoff and loading
waits go through an injected ``sleep`` that records the delay and returns at once, so the exact
number of attempts and the bounds of every wait are checked without waiting. Timeouts are real
but short (a few tenths of a second) and measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from email.utils import formatdate
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web
from multidict import CIMultiDict

from hf_inference import (
    APIConnectionError,
    AsyncInferenceClient,
    BadRequestError,
    HTTPStatusError,
    IncompleteStreamError,
    InferenceTimeoutError,
    ModelLoadingError,
    ModelLoadingTimeout,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    Timeout,
    UnprocessableEntityError,
)
from hf_inference._retry import RetryPolicy, server_retry_after
from hf_inference.testing import Drop, Loading, LocalInferenceServer, Reply, Stall

pytestmark = pytest.mark.anyio

TOKEN = "hf_reliability_token_0123456789"
GPT2 = "openai-community/gpt2"
#: Timeouts below are short and real; a measured failure must land within 10% of the limit.
#: Long enough that 10% (60 ms) covers scheduling on a loaded two-core machine (CI caught
#: 0.339 s against 0.33 with 0.3).
LIMIT = 0.6


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    # Debug mode makes aiohttp warn about every response left unclosed ("Unclosed response"),
    # which -W error turns into a failure.
    return "asyncio", {"debug": True}


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    # Finalisers that warn (unclosed sessions, responses, sockets) run here, inside the test
    # that leaked, where pytest's unraisable-exception hook turns them into errors.
    yield
    gc.collect()


class RecordingSleep:
    """An injected ``sleep``: records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await anyio.lowlevel.checkpoint()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def client(
    server: LocalInferenceServer, sleep: RecordingSleep
) -> AsyncIterator[AsyncInferenceClient]:
    """The default retry policy (max_retries=2) with waits recorded instead of slept."""
    async with AsyncInferenceClient(TOKEN, base_url=server.base_url, sleep=sleep) as c:
        yield c


def token_event(i: int, *, final: bool = False) -> bytes:
    generated = b'"t0"' if final else b"null"
    return (
        b'data:{"index":%d,"token":{"id":%d,"text":"t%d","logprob":-1.0,"special":false},'
        b'"generated_text":%s,"details":null}\n\n' % (i, i, i, generated)
    )


def posts(server: LocalInferenceServer, model: str = GPT2) -> int:
    return sum(1 for r in server.requests if r.model == model and r.method == "POST")


def backoff_bounds(retry: int) -> tuple[float, float]:
    """Jittered backoff of retry ``retry`` (1-based) lies in [base/2, base], base capped at 8."""
    base = min(8.0, 0.5 * 2 ** (retry - 1))
    return base / 2, base


def assert_backoff(delays: list[float]) -> None:
    for retry, delay in enumerate(delays, start=1):
        low, high = backoff_bounds(retry)
        assert low <= delay <= high, (retry, delay)


# -- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (408, HTTPStatusError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServiceUnavailableError),
        (504, ServerError),
    ],
)
async def test_retryable_status_is_sent_three_times_with_backoff(
    client, server, sleep, status, error
):
    server.script_always(GPT2, Reply(status=status, body={"error": "try again"}))
    with pytest.raises(error) as info:
        await client.text_generation("x", model=GPT2)
    assert info.value.status == status
    assert posts(server) == 3  # the first attempt and max_retries=2
    assert len(sleep.delays) == 2
    assert_backoff(sleep.delays)
    # Each failed answer was read and released before the retry: one keep-alive connection
    # carried all three attempts.
    assert server.total_connections == 1


async def test_retry_then_success(client, server, sleep):
    server.script(GPT2, Reply(status=503, body={"error": "overloaded"}), Reply(status=502))
    out = await client.text_generation("x", model=GPT2)
    assert out.generated_text
    assert posts(server) == 3
    assert_backoff(sleep.delays)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, HTTPStatusError),
        (403, HTTPStatusError),
        (404, NotFoundError),
        (409, HTTPStatusError),
        (422, UnprocessableEntityError),
    ],
)
async def test_client_errors_are_sent_once(client, server, sleep, status, error):
    server.script_always(GPT2, Reply(status=status, body={"error": "no"}))
    with pytest.raises(error):
        await client.text_generation("x", model=GPT2)
    assert posts(server) == 1
    assert sleep.delays == []


async def test_max_retries_per_client_and_per_call(server, sleep):
    server.script_always(GPT2, Reply(status=500))
    async with AsyncInferenceClient(
        TOKEN, base_url=server.base_url, sleep=sleep, max_retries=0
    ) as c:
        with pytest.raises(ServerError):
            await c.text_generation("x", model=GPT2)
        assert posts(server) == 1
        assert sleep.delays == []
        with pytest.raises(ServerError):
            await c.text_generation("x", model=GPT2, max_retries=4)
    assert posts(server) == 1 + 5
    assert len(sleep.delays) == 4
    assert_backoff(sleep.delays)


def test_backoff_doubles_from_half_a_second_and_is_capped_at_8_s():
    policy = RetryPolicy()
    for retry in range(1, 40):
        low, high = backoff_bounds(retry)
        delays = [policy.backoff(retry) for _ in range(200)]
        assert all(low <= d <= high for d in delays)
        assert max(delays) - min(delays) > 0  # jittered, not fixed
    assert backoff_bounds(5) == (4.0, 8.0)
    assert backoff_bounds(39) == (4.0, 8.0)


NOW = 1_750_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"Retry-After": formatdate(NOW - 30, usegmt=True)}, 0.0),  # a date in the past
        ({"Retry-After": "3600"}, 60.0),  # capped
        ({"retry-after-ms": "999999999"}, 60.0),
        ({"RateLimit": '"api";r=0;t=55'}, 55.0),
        ({"RateLimit": "limit=100, remaining=0, reset=12"}, 12.0),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),  # the precise one wins
    ],
)
async def test_server_requested_delay_is_honoured(server, sleep, headers, expected):
    async with AsyncInferenceClient(
        TOKEN, base_url=server.base_url, sleep=sleep, clock=lambda: NOW
    ) as c:
        server.script(GPT2, Reply(status=429, headers=headers, body={"error": "slow down"}))
        assert (await c.text_generation("x", model=GPT2)).generated_text
    assert sleep.delays == [pytest.approx(expected)]


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "soon"},
        {"Retry-After": "-3"},
        {"Retry-After": "1e9"},
        {"Retry-After": "Wed, 99 Foo 2024 99:99:99 GMT"},
        {"retry-after-ms": "NaN"},
        {"retry-after-ms": "-100"},
        {"RateLimit": '"api";r=0;t=soon'},
        {},
    ],
)
async def test_nonsense_retry_after_falls_back_to_backoff(client, server, sleep, headers):
    server.script(GPT2, Reply(status=503, headers=headers, body={"error": "busy"}))
    assert (await client.text_generation("x", model=GPT2)).generated_text
    assert len(sleep.delays) == 1
    assert_backoff(sleep.delays)


def test_retry_after_parsing_is_pure():
    def parse(**headers: str) -> float | None:
        return server_retry_after(CIMultiDict(headers), NOW)

    assert parse(**{"Retry-After": " 12 "}) == 12.0
    assert parse(**{"Retry-After": "1.5"}) == 1.5
    assert parse(**{"Retry-After": "Wed, 21 Oct 2015 07:28:00"}) is None  # no zone: ignored
    assert parse(RateLimit='"api";r=0;t=5x') is None
    assert parse() is None


async def test_reset_before_any_answer_is_retried(client, server, sleep):
    server.script(GPT2, Drop(send_headers=False))
    assert (await client.text_generation("x", model=GPT2)).generated_text
    assert posts(server) == 2
    assert len(sleep.delays) == 1


async def test_dropped_keepalive_connection_is_retried(client, server, sleep):
    assert (await client.text_generation("x", model=GPT2)).generated_text
    assert server.total_connections == 1
    # The next request goes out on the pooled connection, which the server then resets
    # without answering: what a keep-alive connection closed by the peer looks like.
    server.script(GPT2, Drop(send_headers=False))
    assert (await client.text_generation("x", model=GPT2)).generated_text
    assert server.total_connections == 2
    assert posts(server) == 3
    assert len(sleep.delays) == 1


async def test_refused_connection_is_retried_then_raised(sleep):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on the port any more: every attempt is refused.
    async with AsyncInferenceClient(
        TOKEN, base_url=f"http://127.0.0.1:{port}/hf-inference", sleep=sleep
    ) as c:
        with pytest.raises(APIConnectionError, match="cannot connect"):
            await c.text_generation("x", model=GPT2)
    assert len(sleep.delays) == 2
    assert_backoff(sleep.delays)


async def test_stream_is_retried_before_its_first_byte(client, server, sleep):
    server.script(GPT2, Reply(status=503), Drop(send_headers=False))
    events = [e async for e in client.text_generation_stream("x", model=GPT2)]
    assert events[-1].generated_text
    assert posts(server) == 3
    assert len(sleep.delays) == 2


async def test_stream_is_never_retried_once_it_yielded(client, server, sleep):
    server.script(GPT2, Drop(after_chunks=[token_event(0), token_event(1)]))
    seen = []
    with pytest.raises(IncompleteStreamError):
        async for event in client.text_generation_stream("x", model=GPT2):
            seen.append(event)
    assert len(seen) == 2
    assert posts(server) == 1
    assert sleep.delays == []


async def test_a_body_read_from_an_async_iterable_is_not_sent_twice(client, server, sleep):
    whisper = "openai/whisper-large-v3"
    server.script_always(whisper, Reply(status=503, body={"error": "busy"}))

    async def audio() -> AsyncIterator[bytes]:
        yield b"RIFF"
        yield b"\x00" * 64

    with pytest.raises(ServiceUnavailableError):
        await client.automatic_speech_recognition(audio(), model=whisper)
    assert posts(server, whisper) == 1
    assert sleep.delays == []


async def one_shot_audio() -> AsyncIterator[bytes]:
    """An upload that can be read once: sending it again would send nothing."""
    yield b"RIFF"
    yield b"\x00" * 64


async def test_an_async_iterable_body_is_not_sent_again_after_a_reset(client, server, sleep):
    whisper = "openai/whisper-large-v3"
    # The server reads the whole upload, then resets the connection without answering: a
    # connection failure that a replayable body would be retried after.
    server.script(whisper, Drop(send_headers=False))
    with pytest.raises(APIConnectionError):
        await client.automatic_speech_recognition(one_shot_audio(), model=whisper)
    assert posts(server, whisper) == 1
    assert server.requests[-1].body == b"RIFF" + b"\x00" * 64
    assert sleep.delays == []


async def test_an_async_iterable_body_is_not_sent_again_after_a_loading_wait(client, server, sleep):
    whisper = "openai/whisper-large-v3"
    server.script(whisper, Loading(estimated_time=2.0))
    with pytest.raises(ModelLoadingError) as info:
        await client.automatic_speech_recognition(one_shot_audio(), model=whisper)
    assert info.value.estimated_time == 2.0
    assert posts(server, whisper) == 1
    assert sleep.delays == []  # no wait either: there is nothing to send after it


async def test_total_deadline_bounds_the_retries(client, server, sleep):
    server.script_always(GPT2, Reply(status=429, headers={"Retry-After": "5"}))
    with pytest.raises(InferenceTimeoutError) as info:
        await client.text_generation("x", model=GPT2, timeout=Timeout(total=1.0))
    assert info.value.phase == "total"
    assert isinstance(info.value.__cause__, RateLimitError)
    assert posts(server) == 1
    assert sleep.delays == []  # a wait past the deadline is not even started


# -- model loading ---------------------------------------------------------------------------


async def test_loading_model_is_waited_for(server, sleep, caplog):
    calls: list[tuple[float, float]] = []
    server.script(GPT2, Loading(estimated_time=20.0, times=2))
    caplog.set_level(logging.INFO, logger="hf_inference")
    async with AsyncInferenceClient(
        TOKEN,
        base_url=server.base_url,
        sleep=sleep,
        on_loading=lambda estimate, waited: calls.append((estimate, waited)),
    ) as c:
        assert (await c.text_generation("x", model=GPT2)).generated_text
    assert sleep.delays == [20.0, 20.0]
    assert calls == [(20.0, 0.0), (20.0, 20.0)]
    assert posts(server) == 3
    loading_lines = [r.getMessage() for r in caplog.records if "is loading" in r.getMessage()]
    assert len(loading_lines) == 2
    assert GPT2 in loading_lines[0]


@pytest.mark.parametrize(("estimate", "slept"), [(0.2, 1.0), (7.5, 7.5), (1809.0, 30.0)])
async def test_loading_sleep_is_clamped_between_1_and_30_s(client, server, sleep, estimate, slept):
    server.script(GPT2, Loading(estimated_time=estimate))
    assert (await client.text_generation("x", model=GPT2)).generated_text
    assert sleep.delays == [slept]


async def test_loading_budget_runs_out_into_a_typed_timeout(server, sleep):
    server.script_always(GPT2, Loading(estimated_time=20.0))
    async with AsyncInferenceClient(
        TOKEN, base_url=server.base_url, sleep=sleep, loading_budget=45.0
    ) as c:
        with pytest.raises(ModelLoadingTimeout) as info:
            await c.text_generation("x", model=GPT2)
    # 20 + 20 + the 5 s left of the budget, then one last look.
    assert sleep.delays == [20.0, 20.0, 5.0]
    assert posts(server) == 4
    error = info.value
    assert isinstance(error, TimeoutError) and isinstance(error, InferenceTimeoutError)
    assert error.phase == "loading"
    assert error.status == 503
    assert isinstance(error.__cause__, ModelLoadingError)


async def test_default_loading_budget_is_120_s(client, server, sleep):
    server.script_always(GPT2, Loading(estimated_time=30.0))
    with pytest.raises(ModelLoadingTimeout):
        await client.text_generation("x", model=GPT2)
    assert sleep.delays == [30.0] * 4
    assert posts(server) == 5


async def test_no_waiting_for_the_model_when_turned_off(client, server, sleep):
    server.script(GPT2, Loading(estimated_time=20.0))
    with pytest.raises(ModelLoadingError) as info:
        await client.text_generation("x", model=GPT2, wait_for_model=False)
    assert info.value.estimated_time == 20.0
    assert posts(server) == 1
    assert sleep.delays == []


async def test_loading_waits_do_not_use_up_retries(client, server, sleep):
    server.script(GPT2, Loading(estimated_time=2.0, times=3), Reply(status=500), Reply(status=502))
    assert (await client.text_generation("x", model=GPT2)).generated_text
    assert sleep.delays[:3] == [2.0, 2.0, 2.0]
    assert_backoff(sleep.delays[3:])
    assert posts(server) == 6


# -- timeouts --------------------------------------------------------------------------------


def test_default_time_limits():
    timeout = Timeout()
    assert (timeout.connect, timeout.read, timeout.total) == (5.0, 120.0, None)


def _full_backlog_listener() -> tuple[socket.socket, list[socket.socket]]:
    """A listening socket that never accepts, its queue filled: connecting to it hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(listener.getsockname())
        fillers.append(filler)
    return listener, fillers


async def test_connect_timeout():
    listener, fillers = _full_backlog_listener()
    probe = socket.socket()
    probe.setblocking(False)
    try:
        with contextlib.suppress(BlockingIOError):
            probe.connect(listener.getsockname())
        with anyio.move_on_after(0.2):
            await anyio.wait_writable(probe)
            pytest.skip("this kernel completes connections to a full accept queue")
        port = listener.getsockname()[1]
        async with AsyncInferenceClient(
            TOKEN,
            base_url=f"http://127.0.0.1:{port}/hf-inference",
            timeout=Timeout(connect=LIMIT),
            max_retries=0,
        ) as c:
            start = time.monotonic()
            with pytest.raises(InferenceTimeoutError) as info:
                await c.text_generation("x", model=GPT2)
            elapsed = time.monotonic() - start
    finally:
        for s in (probe, *fillers, listener):
            s.close()
    assert info.value.phase == "connect"
    assert isinstance(info.value, TimeoutError)
    assert LIMIT * 0.9 <= elapsed <= LIMIT * 1.1 + 0.05


async def test_first_byte_timeout_is_typed_and_not_retried(client, server, sleep):
    server.script(GPT2, Stall(send_headers=False))
    start = time.monotonic()
    with pytest.raises(InferenceTimeoutError) as info:
        await client.text_generation("x", model=GPT2, timeout=Timeout(first_byte=LIMIT))
    elapsed = time.monotonic() - start
    assert info.value.phase == "first_byte"
    assert LIMIT * 0.9 <= elapsed <= LIMIT * 1.1
    assert posts(server) == 1
    assert sleep.delays == []
    await server.wait_connections(0, timeout=0.1)


async def test_stall_mid_stream_fails_after_the_read_timeout(client, server):
    server.script(GPT2, Stall(after_chunks=[token_event(0), token_event(1)]))
    stream = client.text_generation_stream("x", model=GPT2, timeout=Timeout(read=LIMIT))
    seen = 0
    last = time.monotonic()
    with pytest.raises(InferenceTimeoutError) as info:
        async for _ in stream:
            seen += 1
            last = time.monotonic()
    idle = time.monotonic() - last
    assert seen == 2
    assert info.value.phase == "read"
    assert LIMIT * 0.9 <= idle <= LIMIT * 1.1
    await server.wait_connections(0, timeout=0.1)


@contextlib.asynccontextmanager
async def pushed_event_stream() -> AsyncIterator[tuple[str, Callable[[bytes | None], None]]]:
    """A server whose one answer is an event stream the test writes: ``push(chunk)`` sends a
    chunk at once, ``push(None)`` ends the body. Yields (URL, push).

    Nothing is sent that the test did not push, so the test knows when the client's next read
    has to wait for the server.
    """
    outbox: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def answer(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        while (chunk := await outbox.get()) is not None:
            await response.write(chunk)
        await response.write_eof()
        return response

    runner = web.ServerRunner(web.Server(answer))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", outbox.put_nowait
    finally:
        outbox.put_nowait(None)
        await runner.cleanup()


async def test_a_slow_consumer_is_not_a_stalled_server():
    # The server is never silent for the read timeout; the consumer spends longer than it on
    # one event. Only a read that waits counts the server's silence, so no read timeout.
    pace = LIMIT / 3
    async with (
        pushed_event_stream() as (url, push),
        AsyncInferenceClient(False, max_retries=0) as client,
        anyio.create_task_group() as tg,
    ):
        sent_more = anyio.Event()

        async def server_keeps_sending() -> None:
            push(token_event(1))
            for i in range(2, 6):
                await anyio.sleep(pace)  # the server's own pace, well inside the read timeout
                push(token_event(i))
            sent_more.set()
            push(token_event(6, final=True))
            push(None)

        push(token_event(0))
        events = []
        slow = 0.0
        stream = client.text_generation_stream("x", model=url, timeout=Timeout(read=LIMIT))
        async for event in stream:
            events.append(event)
            if len(events) == 1:
                # Nothing more is on its way, so the next read has to wait for the server (the
                # read watchdog is armed); the server sends on only once that read waits.
                tg.start_soon(server_keeps_sending)
            elif len(events) == 2:
                # The consumer's own work: longer than the read timeout, while the server
                # sends four more events.
                started = time.monotonic()
                await sent_more.wait()
                slow = time.monotonic() - started
    assert slow > LIMIT
    assert [e.index for e in events] == list(range(7))
    assert events[-1].generated_text


async def test_healthy_stream_outlives_read_timeout_and_any_session_total(server):
    # A user session whose own ClientTimeout(total=0.2) would kill the stream: the client's
    # per-request timeout replaces it (aiohttp's total=300 default is never used either).
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2))
    async with session, AsyncInferenceClient(TOKEN, base_url=server.base_url, session=session) as c:
        start = time.monotonic()
        events = [
            e
            async for e in c.text_generation_stream(
                "x",
                model=GPT2,
                parameters={"max_new_tokens": 15},
                headers={"x-test-token-delay": "0.04"},
                timeout=Timeout(read=0.2),
            )
        ]
        assert time.monotonic() - start > 0.5  # longer than both the session total and read
    assert len(events) == 15 and events[-1].generated_text


async def test_the_client_never_uses_aiohttp_total_timeout(client):
    session = client._transport.session()
    assert session.timeout.total is None
    for timeout in (Timeout(), Timeout(read=1.0), Timeout(total=5.0)):
        for sock_read in (None, 300.0):
            assert client._transport._client_timeout(timeout, sock_read).total is None


async def test_total_deadline_covers_the_stream(client, server):
    timeout = Timeout(total=0.5)
    start = time.monotonic()
    with pytest.raises(InferenceTimeoutError) as info:
        async for _ in client.text_generation_stream(
            "x",
            model=GPT2,
            parameters={"max_new_tokens": 200},
            headers={"x-test-token-delay": "0.02"},
            timeout=timeout,
        ):
            pass
    elapsed = time.monotonic() - start
    assert info.value.phase == "total"
    assert 0.5 * 0.9 <= elapsed <= 0.5 * 1.1
    await server.wait_connections(0, timeout=0.1)


async def test_total_deadline_before_the_headers(client, server):
    server.script(GPT2, Stall(send_headers=False))
    start = time.monotonic()
    with pytest.raises(InferenceTimeoutError) as info:
        await client.text_generation("x", model=GPT2, timeout=Timeout(total=LIMIT))
    elapsed = time.monotonic() - start
    assert info.value.phase == "total"
    assert LIMIT * 0.9 <= elapsed <= LIMIT * 1.1


# -- concurrency limits ----------------------------------------------------------------------


async def _hold_a_slot(client: AsyncInferenceClient, started: anyio.Event) -> None:
    """A request the server never answers: it holds its max_concurrency slot until cancelled."""
    started.set()
    await client.text_generation("x", model="hold/slot")


async def test_waiting_for_a_concurrency_slot_times_out(server):
    server.script("hold/slot", Stall(send_headers=False))
    async with AsyncInferenceClient(
        TOKEN, base_url=server.base_url, max_concurrency=1, max_retries=0
    ) as c:
        async with anyio.create_task_group() as tg:
            started = anyio.Event()
            tg.start_soon(_hold_a_slot, c, started)
            await started.wait()
            await server.wait_connections(1)
            start = time.monotonic()
            with pytest.raises(InferenceTimeoutError) as info:
                await c.text_generation("x", model=GPT2, timeout=Timeout(pool=LIMIT))
            elapsed = time.monotonic() - start
            tg.cancel_scope.cancel()
        assert info.value.phase == "pool"
        assert LIMIT * 0.9 <= elapsed <= LIMIT * 1.1
        # The cancelled holder gave its slot back: the next call goes straight through.
        assert c._limiter is not None and c._limiter.borrowed_tokens == 0
        assert (await c.text_generation("x", model=GPT2)).generated_text


async def test_waiting_for_a_concurrency_slot_can_be_cancelled(server):
    server.script("hold/slot", Stall(send_headers=False))
    async with AsyncInferenceClient(TOKEN, base_url=server.base_url, max_concurrency=1) as c:
        limiter = c._limiter
        assert limiter is not None
        async with anyio.create_task_group() as tg:
            started = anyio.Event()
            tg.start_soon(_hold_a_slot, c, started)
            await started.wait()
            await server.wait_connections(1)
            with anyio.move_on_after(0.1) as scope:
                await c.text_generation("x", model=GPT2)
            assert scope.cancelled_caught
            assert limiter.statistics().tasks_waiting == 0
            assert limiter.borrowed_tokens == 1
            tg.cancel_scope.cancel()
        assert limiter.borrowed_tokens == 0
        await server.wait_connections(0, timeout=0.1)


async def test_connection_pool_limit_times_out_typed(server):
    server.script(GPT2, Stall(after_chunks=[token_event(0)]))
    async with AsyncInferenceClient(
        TOKEN, base_url=server.base_url, max_connections=1, max_retries=0
    ) as c:
        async with c.text_generation_stream("x", model=GPT2) as held:
            await held.__anext__()  # the only connection is now busy with this stream
            start = time.monotonic()
            with pytest.raises(InferenceTimeoutError) as info:
                await c.text_generation("x", model=GPT2, timeout=Timeout(pool=LIMIT))
            elapsed = time.monotonic() - start
        assert info.value.phase == "pool"
        assert LIMIT * 0.9 <= elapsed <= LIMIT * 1.1 + 0.05
        assert (await c.text_generation("x", model=GPT2)).generated_text


# -- cancellation and resources --------------------------------------------------------------
# In each case the server must see the socket close within 100 ms of the consumer giving up.

RELEASED_WITHIN = 0.1


@pytest.fixture
def stalled(server: LocalInferenceServer) -> LocalInferenceServer:
    """Streams that send two events and then hang: only the client can end them."""
    server.script_always(GPT2, Stall(after_chunks=[token_event(0), token_event(1)]))
    return server


async def test_cancelling_the_consuming_task_releases_the_socket(client, stalled):
    got_one = anyio.Event()

    async def consume() -> None:
        async for _ in client.text_generation_stream("x", model=GPT2):
            got_one.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await got_one.wait()
        tg.cancel_scope.cancel()
    await stalled.wait_connections(0, timeout=RELEASED_WITHIN)


async def test_move_on_after_releases_the_socket(client, stalled):
    seen = 0
    with anyio.move_on_after(0.2) as scope:
        async with client.text_generation_stream("x", model=GPT2) as stream:
            async for _ in stream:
                seen += 1
    assert scope.cancelled_caught and seen == 2
    await stalled.wait_connections(0, timeout=RELEASED_WITHIN)


async def test_break_releases_the_socket(client, stalled):
    async for _ in client.text_generation_stream("x", model=GPT2):
        break
    await stalled.wait_connections(0, timeout=RELEASED_WITHIN)
    async with client.text_generation_stream("x", model=GPT2) as stream:
        async for _ in stream:
            break
    await stalled.wait_connections(0, timeout=RELEASED_WITHIN)


async def test_exception_in_the_consumer_releases_the_socket(client, stalled):
    async def consume() -> None:
        async for _ in client.text_generation_stream("x", model=GPT2):
            raise LookupError("the consumer failed")

    with pytest.raises(LookupError):
        await consume()
    await stalled.wait_connections(0, timeout=RELEASED_WITHIN)

    with pytest.raises(LookupError):
        async with client.text_generation_stream("x", model=GPT2) as stream:
            async for _ in stream:
                raise LookupError("the consumer failed")
    await stalled.wait_connections(0, timeout=RELEASED_WITHIN)


async def test_aclose_from_another_task_ends_the_consumer(client, stalled):
    stream = client.text_generation_stream("x", model=GPT2)
    seen = []
    reading = anyio.Event()

    async def consume() -> None:
        async for event in stream:
            seen.append(event)
            if len(seen) == 2:
                reading.set()  # the next read waits on a silent server

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await reading.wait()
        await stream.aclose()
    # The consumer simply stopped: a deliberate close is an end, not an error.
    assert len(seen) == 2
    assert stream.closed
    await stalled.wait_connections(0, timeout=RELEASED_WITHIN)


async def test_cancelling_a_request_waiting_for_headers_releases_the_socket(client, server):
    server.script(GPT2, Stall(send_headers=False))
    with anyio.move_on_after(0.1):
        await client.text_generation("x", model=GPT2)
    await server.wait_connections(0, timeout=RELEASED_WITHIN)


async def test_cancelling_a_body_read_releases_the_socket(client, server):
    server.script(GPT2, Stall(after_chunks=[b'[{"generated_text": "par']))
    with anyio.move_on_after(0.1) as scope:
        await client.text_generation("x", model=GPT2)
    assert scope.cancelled_caught
    await server.wait_connections(0, timeout=RELEASED_WITHIN)


async def test_many_cancellations_leave_nothing_behind(client, stalled):
    for i in range(90):
        # Cancelled before connecting, while waiting for headers, and mid-stream.
        with anyio.move_on_after((0, 0.002, 0.02)[i % 3]):
            async with client.text_generation_stream("x", model=GPT2) as stream:
                async for _ in stream:
                    pass
    await stalled.wait_connections(0, timeout=RELEASED_WITHIN)
    assert not client.closed
