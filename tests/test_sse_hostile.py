"""Hostile and broken input, end to end: bytes written by the local server, read by the client.

The SSE decoder has its own unit and property tests (tests/test_sse.py); here the same cases
go through real sockets, aiohttp's chunked decoding and the client's stream, so the split
points, errors and connection handling are the ones users get.
"""

from __future__ import annotations

import gc
import gzip
import tracemalloc
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import anyio
import pytest

from hf_inference import (
    APIConnectionError,
    AsyncInferenceClient,
    DecodeError,
    GenerationError,
    IncompleteStreamError,
    ServerError,
    SSEDecodeError,
    SSEEventTooLargeError,
    StreamError,
    UnprocessableEntityError,
)
from hf_inference.testing import BrokenChunked, Drop, LocalInferenceServer, Reply, Stall

pytestmark = pytest.mark.anyio

TOKEN = "hf_hostile_token_0123456789"
GPT2 = "openai-community/gpt2"
CHAT = "meta-llama/Llama-3.1-8B-Instruct"
MESSAGES = [{"role": "user", "content": "hi"}]
MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
async def client(server: LocalInferenceServer) -> AsyncIterator[AsyncInferenceClient]:
    async with AsyncInferenceClient(TOKEN, base_url=server.base_url, max_retries=0) as c:
        yield c


def sse(chunks: Sequence[bytes]) -> Reply:
    return Reply(chunks=list(chunks), content_type="text/event-stream")


async def raw_events(
    client: AsyncInferenceClient, server: LocalInferenceServer, chunks: Sequence[bytes]
) -> list[Any]:
    """Decoded JSON payloads of a scripted stream, through the untyped primitive."""
    server.script(GPT2, sse(chunks))
    return [e async for e in client.streaming_request({"inputs": "x"}, model=GPT2)]


def tgi_event(i: int, text: str = "t", *, final: bool = False) -> bytes:
    generated = f'"{text}"' if final else "null"
    return (
        f'data:{{"index":{i},"token":{{"id":{i},"text":"{text}","logprob":-1.0,'
        f'"special":false}},"generated_text":{generated},"details":null}}\n\n'
    ).encode()


# -- line endings, splits, encodings -----------------------------------------------------------

STREAM = (
    'data: {"a": 1}\n\nevent: message\ndata: {"b":\ndata: "é€😀"}\n\n: note\n\ndata:{"c":3}\n\n'
)
EXPECTED = [{"a": 1}, {"b": "é€😀"}, {"c": 3}]


def splittings(body: bytes) -> Iterator[list[bytes]]:
    yield [body]
    yield [body[i : i + 1] for i in range(len(body))]
    for cut in range(1, len(body)):
        yield [body[:cut], body[cut:]]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
async def test_every_line_ending_split_at_every_byte(client, server, newline):
    body = STREAM.replace("\n", newline).encode()
    for chunks in splittings(body):
        assert await raw_events(client, server, chunks) == EXPECTED, chunks
    # Every stream ended cleanly and gave its connection back: one served them all.
    assert server.total_connections == 1


async def test_utf8_code_points_split_across_chunks(client, server):
    text = "é€😀 ünïcödé"
    body = f'data: {{"t": "{text}"}}\n\n'.encode()
    start = body.index("é".encode())
    for cut in range(start, start + len(text.encode())):
        assert await raw_events(client, server, [body[:cut], body[cut:]]) == [{"t": text}]


@pytest.mark.parametrize(
    "bad", [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f\x98"], ids=["ff", "cut", "surr", "4cut"]
)
async def test_invalid_utf8_is_a_typed_error(client, server, bad):
    chunks = [b'data: {"a": 1}\n\n', b'data: {"t": "' + bad + b'"}\n\n']
    # The server keeps the connection open: the client must close it at the error.
    server.script(GPT2, Stall(after_chunks=chunks))
    seen = []
    with pytest.raises(SSEDecodeError) as info:
        async for event in client.streaming_request({"inputs": "x"}, model=GPT2):
            seen.append(event)
    # Events in the same network read as the bad bytes may be lost with the stream.
    assert seen in ([], [{"a": 1}])
    assert isinstance(info.value, DecodeError)
    assert info.value.model == GPT2 and info.value.status == 200
    await server.wait_connections(0, timeout=0.5)


@pytest.mark.parametrize(
    "chunks",
    [[b"\xef\xbb\xbfdata: {}\n\n"], [b"\xef", b"\xbb", b"\xbfdata: {}\n\n"]],
    ids=["whole", "split"],
)
async def test_byte_order_mark_is_skipped(client, server, chunks):
    assert await raw_events(client, server, chunks) == [{}]


async def test_only_a_leading_bom_is_skipped(client, server):
    # Later, a BOM is part of the field name: "\ufeffdata" is an unknown field, ignored.
    body = b"data: {}\n\n\xef\xbb\xbfdata: {}\n\n"
    assert await raw_events(client, server, [body]) == [{}]


async def test_a_comment_flood_keeps_memory_flat(client, server):
    comment = b": " + b"k" * 126 + b"\n\n"
    flood = [comment * 2048] * 32  # 8 MiB of keep-alive comments in 256 KiB writes
    chunks = [*flood, b'data: {"done": true}\n\n']
    server.script(GPT2, sse(chunks))
    tracemalloc.start()
    try:
        events = [e async for e in client.streaming_request({"inputs": "x"}, model=GPT2)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert events == [{"done": True}]
    assert peak < 2 * MiB, peak


# -- sizes -------------------------------------------------------------------------------------


async def _oversized_line(client: AsyncInferenceClient, server: LocalInferenceServer) -> int:
    """Stream a 20 MiB line; return the traced memory peak while the client reads it."""
    line = b"data: " + b"x" * (20 * MiB)
    view = memoryview(line)
    chunks = [view[i : i + 256 * 1024] for i in range(0, len(line), 256 * 1024)]
    server.script(GPT2, sse(chunks))  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        with pytest.raises(SSEEventTooLargeError) as info:
            async for _ in client.streaming_request({"inputs": "x"}, model=GPT2):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.model == GPT2
    await server.wait_connections(0, timeout=0.5)
    return peak


async def test_20_mib_line_stops_at_the_limit_with_bounded_memory(server):
    async with AsyncInferenceClient(TOKEN, base_url=server.base_url, max_event_size=MiB) as c:
        peak = await _oversized_line(c, server)
    # Memory follows the limit (1 MiB), not the line (20 MiB).
    assert peak < 4 * MiB, peak


async def test_20_mib_line_against_the_default_16_mib_limit(client, server):
    peak = await _oversized_line(client, server)
    assert peak < 20 * MiB, peak


async def test_a_1_mib_event_is_accepted(client, server):
    text = "y" * MiB
    server.script(GPT2, sse([tgi_event(0, text, final=True)]))
    events = [e async for e in client.text_generation_stream("x", model=GPT2)]
    assert events[0].token.text == text
    assert events[0].generated_text == text


async def test_an_endless_error_body_is_read_only_up_to_its_limit(client, server):
    # An error page of more than 64 KiB whose end never comes: the status is what matters,
    # so the client stops at 64 KiB instead of waiting for (or buffering) the rest.
    limit = 64 * 1024
    page = Reply(
        status=500,
        chunks=[b"x" * (limit + 1), b"the rest, never sent"],
        chunk_delay=60.0,
        content_type="text/plain",
    )
    server.script(GPT2, page)
    with anyio.fail_after(10), pytest.raises(ServerError) as info:
        await client.text_generation("x", model=GPT2)
    assert info.value.status == 500
    assert info.value.body is not None and set(info.value.body) == {ord("x")}
    await server.wait_connections(0, timeout=0.5)


# -- ends of streams ---------------------------------------------------------------------------

CHAT_CHUNK = (
    b'data: {"object":"chat.completion.chunk","id":"1","created":1,"model":"m",'
    b'"system_fingerprint":"x","choices":[{"index":0,"delta":{"content":"hi"},'
    b'"logprobs":null,"finish_reason":%s}]}\n\n'
)


@pytest.mark.parametrize(
    "done",
    [
        b"data: [DONE]\n\n",
        b"data:[DONE]\n\n",
        b"data:  [DONE]\n\n",
        b"data: [DONE]  \n\n",
        b"data: [DONE]\r\n\r\n",
        b"event: done\ndata: [DONE]\n\n",
    ],
)
async def test_done_spellings_end_the_stream(client, server, done):
    # The chunk before [DONE] has no finish_reason: only the sentinel can end this stream.
    server.script(CHAT, sse([CHAT_CHUNK % b"null", done, CHAT_CHUNK % b'"stop"']))
    chunks = [c async for c in client.chat_completion_stream(MESSAGES, model=CHAT)]
    assert len(chunks) == 1
    assert chunks[0].choices[0].delta.content == "hi"


@pytest.mark.parametrize(
    ("second", "match"),
    [
        (b"data: not json\n\n", "event 2"),
        (b'data: {"index":1,"token":{"id":1,"te\n\n', "event 2"),
        (
            b'data: {"index":1,"token":{"id":"one","text":"a","logprob":0,"special":false}}\n\n',
            "id",
        ),
        (b'data: {"index":1}\n\n', "token"),
    ],
    ids=["not-json", "truncated-json", "wrong-type", "missing-field"],
)
async def test_undecodable_event_names_its_index(client, server, second, match):
    # The server keeps the connection open: the client must close it at the bad event.
    server.script(GPT2, Stall(after_chunks=[tgi_event(0), second, tgi_event(2, final=True)]))
    seen = []
    with pytest.raises(DecodeError, match=match) as info:
        async for event in client.text_generation_stream("x", model=GPT2):
            seen.append(event)
    assert len(seen) == 1
    assert info.value.event_index == 2
    assert info.value.model == GPT2
    await server.wait_connections(0, timeout=0.5)


async def test_clean_eof_before_the_final_event(client, server):
    server.script(GPT2, sse([tgi_event(0), tgi_event(1)]))
    with pytest.raises(IncompleteStreamError, match="before the final event"):
        async for _ in client.text_generation_stream("x", model=GPT2):
            pass
    server.script(CHAT, sse([CHAT_CHUNK % b"null"]))
    with pytest.raises(IncompleteStreamError, match="before the final event"):
        async for _ in client.chat_completion_stream(MESSAGES, model=CHAT):
            pass


USAGE_CHUNK = (
    b'data: {"object":"chat.completion.chunk","id":"1","created":1,"model":"m",'
    b'"system_fingerprint":"x","choices":[],'
    b'"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n'
)


async def test_a_chat_stream_whose_last_chunk_is_its_usage_is_complete(client, server):
    # No [DONE]: the last chunk has no choices, only the usage that follows the final choice.
    server.script(CHAT, sse([CHAT_CHUNK % b"null", CHAT_CHUNK % b'"stop"', USAGE_CHUNK]))
    chunks = [c async for c in client.chat_completion_stream(MESSAGES, model=CHAT)]
    assert len(chunks) == 3
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 4


async def test_a_tgi_final_event_with_details_and_no_text_is_complete(client, server):
    # TGI with return_full_text or a detokenizer hiccup: the final event carries its details
    # (finish reason) and no generated_text. The stream ended properly.
    final = (
        b'data:{"index":1,"token":{"id":1,"text":"t","logprob":-1.0,"special":false},'
        b'"generated_text":null,"details":{"finish_reason":"length","generated_tokens":2}}\n\n'
    )
    server.script(GPT2, sse([tgi_event(0), final]))
    events = [e async for e in client.text_generation_stream("x", model=GPT2)]
    assert len(events) == 2
    assert events[-1].generated_text is None
    assert events[-1].details is not None and events[-1].details.finish_reason == "length"


async def test_a_named_error_event_with_plain_text_data_raises_a_stream_error(client, server):
    error = b"event: error\ndata: Model is overloaded, please retry later\n\n"
    server.script(GPT2, sse([tgi_event(0), error, tgi_event(1, final=True)]))
    seen = []
    with pytest.raises(StreamError, match="Model is overloaded, please retry later") as info:
        async for event in client.text_generation_stream("x", model=GPT2):
            seen.append(event)
    assert len(seen) == 1
    assert info.value.model == GPT2
    assert info.value.status == 200


async def test_eof_in_the_middle_of_an_event(client, server):
    server.script(GPT2, sse([tgi_event(0), tgi_event(1, final=True)[:-1]]))
    with pytest.raises(IncompleteStreamError, match="in the middle of an event"):
        async for _ in client.text_generation_stream("x", model=GPT2):
            pass
    # Where the events say nothing of an end (an untyped stream, a chat stream past its
    # finish_reason), the cut itself must still be reported, not dropped as a clean end.
    server.script(GPT2, sse([b'data: {"a": 1}\n\n', b'data: {"b": 2}\n']))
    with pytest.raises(IncompleteStreamError, match="in the middle of an event"):
        async for _ in client.streaming_request({"inputs": "x"}, model=GPT2):
            pass
    server.script(CHAT, sse([CHAT_CHUNK % b'"stop"', USAGE_CHUNK[:-1]]))
    with pytest.raises(IncompleteStreamError, match="in the middle of an event"):
        async for _ in client.chat_completion_stream(MESSAGES, model=CHAT):
            pass


@pytest.mark.parametrize(
    "fault",
    [Drop(after_chunks=[tgi_event(0)]), BrokenChunked(after_chunks=[tgi_event(0)], delay=0.05)],
    ids=["tcp-reset", "broken-chunked"],
)
async def test_broken_connection_mid_stream_is_incomplete(client, server, fault):
    server.script(GPT2, fault)
    seen = []
    with pytest.raises(IncompleteStreamError) as info:
        async for event in client.text_generation_stream("x", model=GPT2):
            seen.append(event)
    assert len(seen) == 1
    assert info.value.model == GPT2
    # Not a connection failure: code that sends again after one must not resend a stream.
    assert not isinstance(info.value, APIConnectionError)
    # The broken connection was discarded, not pooled: the next call opens a new one.
    await server.wait_connections(0, timeout=0.1)
    before = server.total_connections
    assert (await client.text_generation("x", model=GPT2)).generated_text
    assert server.total_connections == before + 1


HALF_A_BODY = b'[{"generated_text": "The answer'


@pytest.mark.parametrize(
    "fault",
    [Drop(after_chunks=[HALF_A_BODY]), BrokenChunked(after_chunks=[HALF_A_BODY], delay=0.05)],
    ids=["tcp-reset", "broken-chunked"],
)
async def test_broken_connection_mid_body_is_incomplete_not_a_connection_error(
    client, server, fault
):
    # The headers arrived, so the request was answered: a break in its body is an incomplete
    # body (never sent again), not a connection failure (which may be retried).
    server.script(GPT2, fault)
    with pytest.raises(IncompleteStreamError) as info:
        await client.text_generation("x", model=GPT2)
    assert not isinstance(info.value, APIConnectionError)
    assert info.value.model == GPT2
    await server.wait_connections(0, timeout=0.1)


async def test_html_200_on_a_stream_call_is_typed(client, server):
    page = "<!DOCTYPE html><html><body>Bad gateway " + "x" * 100_000 + "</body></html>"
    server.script(GPT2, Reply(body=page, content_type="text/html"))
    with pytest.raises(DecodeError, match="text/html") as info:
        async for _ in client.text_generation_stream("x", model=GPT2):
            pass
    assert info.value.status == 200
    assert info.value.body is not None and len(info.value.body) <= 8 * 1024


async def test_json_error_200_on_a_stream_call_is_typed(client, server):
    server.script(GPT2, Reply(body={"error": "Input validation error", "error_type": "generation"}))
    with pytest.raises(GenerationError, match="Input validation error"):
        async for _ in client.text_generation_stream("x", model=GPT2):
            pass


# -- non-streamed bodies -----------------------------------------------------------------------


async def test_html_error_page(client, server):
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 50_000
    server.script(GPT2, Reply(status=502, body=page, content_type="text/html"))
    with pytest.raises(ServerError, match="HTML page") as info:
        await client.text_generation("x", model=GPT2)
    assert info.value.status == 502
    assert info.value.body is not None and len(info.value.body) <= 8 * 1024


async def test_plain_text_422(client, server):
    text = "Failed to deserialize the JSON body into the target type: missing field `inputs`"
    server.script(GPT2, Reply(status=422, body=text, content_type="text/plain"))
    with pytest.raises(UnprocessableEntityError, match="missing field `inputs`"):
        await client.text_generation("x", model=GPT2)


async def test_empty_bodies(client, server):
    server.script(GPT2, Reply(status=500, body=b"", content_type="application/json"))
    with pytest.raises(ServerError, match="HTTP 500"):
        await client.text_generation("x", model=GPT2)
    server.script(GPT2, Reply(status=200, body=b"", content_type="application/json"))
    with pytest.raises(DecodeError):
        await client.text_generation("x", model=GPT2)
    server.script(GPT2, Reply(status=200, body=b"", content_type="text/event-stream"))
    with pytest.raises(IncompleteStreamError):
        async for _ in client.text_generation_stream("x", model=GPT2):
            pass


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"generated_txt": "x"}], "generated_text"),
        ([{"generated_text": 42}], "generated_text"),
        ({"generated_text": "x", "details": {"finish_reason": 1}}, "finish_reason"),
    ],
)
async def test_json_of_the_wrong_shape_names_the_field(client, server, body, field):
    server.script(GPT2, Reply(body=body))
    with pytest.raises(DecodeError, match=field) as info:
        await client.text_generation("x", model=GPT2)
    assert info.value.status == 200
    assert info.value.model == GPT2


async def test_gzip_bomb_is_stopped_at_the_response_size_cap(server):
    bomb = gzip.compress(b"[" + b" " * (64 * MiB) + b"]", compresslevel=9)
    assert len(bomb) < MiB // 4
    server.script_always(
        GPT2,
        Reply(body=bomb, headers={"Content-Encoding": "gzip"}, content_type="application/json"),
    )
    async with AsyncInferenceClient(
        TOKEN, base_url=server.base_url, max_response_size=2 * MiB
    ) as c:
        tracemalloc.start()
        try:
            with pytest.raises(DecodeError, match="max_response_size"):
                await c.text_generation("x", model=GPT2)
            with pytest.raises(DecodeError, match="max_response_size"):
                await c.request({"inputs": "x"}, model=GPT2)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * MiB, peak
    await server.wait_connections(0, timeout=0.1)


async def test_huge_error_body_does_not_hide_the_status(client, server):
    server.script(GPT2, Reply(status=500, body=b'{"error": "' + b"e" * (3 * MiB) + b'"}'))
    with pytest.raises(ServerError) as info:
        await client.text_generation("x", model=GPT2)
    assert info.value.status == 500
    assert info.value.body is not None and len(info.value.body) <= 8 * 1024
