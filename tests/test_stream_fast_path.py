"""AsyncStream's per-token fast path against the spec-complete route, over random chunkings.

The stream decodes the data bytes of plain events straight into the output type and sends
everything else (``[DONE]``, named events, multi-line data, error payloads) down a slow path.
Whatever the chunking, it must yield exactly what decoding every complete event by the book
yields. The response here replays bytes: what is under test is the stream's parsing, not I/O.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterable
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_inference import types as t
from hf_inference._exceptions import DecodeError, HfInferenceError
from hf_inference._sse import SSEDecoder
from hf_inference._streaming import AsyncStream
from hf_inference._tasks import stream_is_complete


class ReplayResponse:
    """The part of the transport's Response an AsyncStream reads, serving fixed chunks."""

    status = 200
    media_type = "text/event-stream"
    headers: dict[str, str] = {}  # noqa: RUF012
    request_id = None

    def use_stream_reads(self) -> None:
        pass  # no socket here

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self.at_eof = False
        self.released = self.closed = False

    async def read_chunk(self) -> bytes:
        chunk = next(self._chunks, b"")
        self.at_eof = not chunk
        return chunk

    def release(self) -> None:
        self.released = True

    def close(self) -> None:
        self.closed = True


def token_event(i: int, text: str) -> dict[str, Any]:
    return {
        "index": i,
        "token": {"id": i, "text": text, "logprob": -0.5, "special": False},
        "generated_text": None,
        "details": None,
    }


_text = st.text(
    st.one_of(
        st.sampled_from(["\u2028", "\x85", "\r", "\n", "é", "𝄞", '"', "\\"]),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=8,
)


@st.composite
def tgi_bodies(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A TGI stream with keep-alives, comments, named events and odd spellings mixed in."""
    texts = draw(st.lists(_text, min_size=1, max_size=12))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    parts: list[str] = []
    for i, text in enumerate(texts):
        payload = json.dumps(token_event(i, text), ensure_ascii=draw(st.booleans()))
        if i == len(texts) - 1:
            final = {**token_event(i, text), "generated_text": "".join(texts)}
            payload = json.dumps(final)
        extra = draw(st.sampled_from(["", "comment", "ping", "space", "split", "empty"]))
        if extra == "comment":
            parts.append(": keep-alive" + ending)
        elif extra == "ping":
            parts.append(f"event: ping{ending}data: {{}}{ending}{ending}")
        elif extra == "empty":
            parts.append(f"data:{ending}{ending}")
        if extra == "split":
            # The same JSON over two data lines (joined with LF, which JSON allows), cut at a
            # structural comma: the first one, after the integer index.
            cut = payload.index(", ") + 1
            parts.append(f"data: {payload[:cut]}{ending}data:{payload[cut:]}{ending}{ending}")
        else:
            space = " " if extra == "space" else ""
            parts.append(f"data:{space}{payload}{ending}{ending}")
    return "".join(parts).encode(), texts


def by_the_book(body: bytes) -> list[t.TextGenerationStreamOutput]:
    """Every complete event through the full decoder; named events skipped, empty data too."""
    decoder = SSEDecoder()
    out = []
    for event in [*decoder.feed(body), *decoder.flush()]:
        if event.event != "message" or not event.data.strip():
            continue
        out.append(msgspec.json.decode(event.data, type=t.TextGenerationStreamOutput))
    return out


def split_at(raw: bytes, cuts: Iterable[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(raw)]
    return [raw[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def stream_over(chunks: list[bytes], type_: Any = t.TextGenerationStreamOutput) -> AsyncStream[Any]:
    response = ReplayResponse(chunks)

    async def opener() -> Any:
        return response

    return AsyncStream(opener, msgspec.json.Decoder(type_), is_complete=stream_is_complete)


async def collect(stream: AsyncStream[Any]) -> list[Any]:
    return [item async for item in stream]


@settings(max_examples=200, deadline=None)
@given(body=tgi_bodies(), cuts=st.lists(st.floats(0, 1), max_size=10))
def test_any_chunking_yields_what_the_full_decoder_yields(
    body: tuple[bytes, list[str]], cuts: list[float]
) -> None:
    raw, texts = body
    chunks = split_at(raw, {int(c * len(raw)) for c in cuts})
    stream = stream_over(chunks)
    items = asyncio.run(collect(stream))
    assert items == by_the_book(raw)
    assert [item.token.text for item in items] == texts
    assert stream.closed
    assert f"events={len(texts)}" in repr(stream)


@pytest.mark.parametrize("cut", [1, 2, 3, 5, 7, 64])
def test_done_error_and_garbage_take_the_slow_path_at_any_cut(cut: int) -> None:
    good = json.dumps(token_event(0, "a")).encode()
    done = b"data: " + good + b"\n\ndata: [DONE]\n\n"
    raw_chunks = [done[i : i + cut] for i in range(0, len(done), cut)]
    items = asyncio.run(collect(stream_over(raw_chunks, t.TextGenerationStreamOutput)))
    assert [i.token.text for i in items] == ["a"]

    error = (
        b"data: " + good + b'\n\ndata: {"error":"CUDA out of memory","error_type":"generation"}\n\n'
    )
    with pytest.raises(HfInferenceError, match="CUDA out of memory"):
        asyncio.run(collect(stream_over([error[i : i + cut] for i in range(0, len(error), cut)])))

    garbage = b"data: " + good + b'\n\ndata: {"index": oops}\n\n'
    with pytest.raises(DecodeError, match="event 2") as info:
        asyncio.run(
            collect(stream_over([garbage[i : i + cut] for i in range(0, len(garbage), cut)]))
        )
    assert info.value.event_index == 2


def test_untyped_stream_still_raises_in_band_errors() -> None:
    raw = b'data: {"a": 1}\n\ndata: {"error": "boom"}\n\n'
    with pytest.raises(HfInferenceError, match="boom"):
        asyncio.run(collect(stream_over([raw], Any)))
    items = asyncio.run(collect(stream_over([b"data: 1\n\ndata: [2]\n\ndata: [DONE]\n\n"], Any)))
    assert items == [1, [2]]
