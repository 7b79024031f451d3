"""The sans-I/O event-stream decoder, against the WHATWG parsing rules."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_inference._exceptions import InvalidInputError, SSEDecodeError, SSEEventTooLargeError
from hf_inference._sse import ServerSentEvent, SSEDecoder

BOM = b"\xef\xbb\xbf"
KIB = 1024
MIB = 1024 * KIB
# Characters that str.splitlines()/bytes.splitlines() treat as line breaks (plus the BOM):
# TGI sends them raw inside JSON strings, so they must never split a line.
SPLITLINES_BREAKS = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"


def decode(chunks: Iterable[bytes], **kwargs: int) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder(**kwargs)
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.flush()
    return events, decoder


def events_of(raw: bytes) -> list[ServerSentEvent]:
    return decode([raw])[0]


def split_at(raw: bytes, cuts: Iterable[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(raw)]
    return [raw[a:b] for a, b in itertools.pairwise(bounds)]


def bytewise(raw: bytes) -> list[bytes]:
    return [raw[i : i + 1] for i in range(len(raw))]


def assert_chunking_invariant(raw: bytes, expected: Sequence[ServerSentEvent]) -> None:
    assert decode([raw])[0] == expected
    assert decode(bytewise(raw))[0] == expected
    for i in range(len(raw) + 1):
        assert decode([raw[:i], raw[i:]])[0] == expected, f"split at byte {i}"


def E(
    data: str, event: str = "message", id: str | None = None, retry: int | None = None
) -> ServerSentEvent:
    return ServerSentEvent(event=event, data=data, id=id, retry=retry)


# --- ServerSentEvent -------------------------------------------------------------------------


def test_event_defaults_equality_and_repr() -> None:
    event = ServerSentEvent(data="x")
    assert (event.event, event.data, event.id, event.retry) == ("message", "x", None, None)
    assert event == E("x")
    assert event != E("x", event="other")
    assert hash(event) == hash(E("x"))
    text = repr(event)
    assert "ServerSentEvent(" in text
    assert "data='x'" in text
    assert "event='message'" in text


def test_event_is_immutable() -> None:
    event = ServerSentEvent(data="x")
    with pytest.raises(AttributeError):
        event.data = "y"  # type: ignore[misc]


def test_max_event_size_must_be_positive() -> None:
    with pytest.raises(InvalidInputError, match="max_event_size"):
        SSEDecoder(max_event_size=0)


# --- Line endings and chunking ---------------------------------------------------------------

LF_STREAM = (
    "event: add\ndata: 1\ndata: 2\nid: 7\nretry: 300\n\n: comment\ndata: x\n\n\n\ndata:y\n\n"
)
LINE_ENDING_EXPECTED = [
    E("1\n2", event="add", id="7", retry=300),
    E("x", id="7"),
    E("y", id="7"),
]
MIXED_STREAM = (
    "event: add\r\ndata: 1\rdata: 2\nid: 7\r\nretry: 300\r\r\n"
    ": comment\ndata: x\r\n\r\n\r\rdata:y\n\r"
)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(LF_STREAM.encode(), id="LF"),
        pytest.param(LF_STREAM.replace("\n", "\r").encode(), id="CR"),
        pytest.param(LF_STREAM.replace("\n", "\r\n").encode(), id="CRLF"),
        pytest.param(MIXED_STREAM.encode(), id="mixed"),
    ],
)
def test_line_endings_split_at_every_byte(raw: bytes) -> None:
    assert_chunking_invariant(raw, LINE_ENDING_EXPECTED)


def test_mixed_line_endings_split_at_every_pair_of_bytes() -> None:
    raw = MIXED_STREAM.encode()
    for i in range(len(raw) + 1):
        for j in range(i, len(raw) + 1):
            assert decode(split_at(raw, [i, j]))[0] == LINE_ENDING_EXPECTED, (i, j)


def test_crlf_split_across_chunks_is_one_line_ending() -> None:
    # Were the LF a second line ending, it would be a blank line dispatching "x" on its own.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\ndata: y\r") == []
    assert decoder.feed(b"\n\r\n") == [E("x\ny")]
    assert not decoder.pending


def test_cr_then_cr_is_two_line_endings() -> None:
    assert events_of(b"data: x\r\rdata: y\r\r") == [E("x"), E("y")]


def test_events_completed_by_each_chunk() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b\n\ndata: c") == [E("a"), E("b")]
    assert decoder.pending
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [E("c")]
    assert (decoder.pending, decoder.buffered_size) == (False, 0)


def test_tgi_and_chat_streams() -> None:
    tgi = (
        b'data:{"index":1,"token":{"id":220,"text":" ","special":false},"generated_text":null}\n\n'
        b'data:{"index":2,"token":{"id":13,"text":".","special":false},"generated_text":" ."}\n\n'
    )
    assert [e.data[:10] for e in events_of(tgi)] == ['{"index":1', '{"index":2']
    chat = b'data: {"object":"chat.completion.chunk"}\n\ndata: [DONE]\n\n'
    assert events_of(chat) == [E('{"object":"chat.completion.chunk"}'), E("[DONE]")]


@pytest.mark.parametrize("raw", [b"data:[DONE]\n\n", b"data: [DONE]\n\n", b"data: [DONE]\r\n\r\n"])
def test_done_sentinel_with_and_without_space(raw: bytes) -> None:
    assert events_of(raw) == [E("[DONE]")]


# --- Fields ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "data"),
    [
        (b"data:x\n\n", "x"),
        (b"data: x\n\n", "x"),
        (b"data:  x\n\n", " x"),
        (b"data: x \n\n", "x "),
        (b"data:\n\n", ""),
        (b"data: \n\n", ""),
        (b"data\n\n", ""),
        (b"data: a\ndata:\ndata: b\n\n", "a\n\nb"),
        (b"data:  a\ndata:b\ndata: \n\n", " a\nb\n"),
        (b"data: a:b: c\n\n", "a:b: c"),
    ],
)
def test_data_field(raw: bytes, data: str) -> None:
    assert_chunking_invariant(raw, [E(data)])


def test_comments_are_ignored() -> None:
    assert events_of(b": hi\n:\ndata: x\n: mid\n\n:bye\n\n") == [E("x")]


def test_unknown_fields_are_ignored() -> None:
    raw = b"foo: bar\nData: no\ndata : no\nevent : no\ndata: x\n\n"
    assert events_of(raw) == [E("x")]


def test_event_type_and_its_reset() -> None:
    raw = b"event: add\ndata: a\n\ndata: b\n\nevent:  spaced\ndata: c\n\nevent\ndata: d\n\n"
    assert events_of(raw) == [E("a", event="add"), E("b"), E("c", event=" spaced"), E("d")]


def test_event_without_data_is_not_dispatched_but_resets_the_type() -> None:
    assert events_of(b"event: add\n\ndata: x\n\n") == [E("x")]
    assert events_of(b"event: add\nretry: 5\n\ndata: x\n\n") == [E("x")]


def test_id_persists_and_resets() -> None:
    raw = (
        b"id: 1\ndata: a\n\n"
        b"data: b\n\n"
        b"id: 2\n\n"  # no data: not dispatched, but the ID is still taken
        b"data: c\n\n"
        b"id: bad\x00id\ndata: d\n\n"  # an ID holding NUL is ignored
        b"id\ndata: e\n\n"  # a bare "id" resets it
        b"id: 3\nid:\ndata: f\n\n"
    )
    decoder = SSEDecoder()
    events = decoder.feed(raw)
    assert [(e.data, e.id) for e in events] == [
        ("a", "1"),
        ("b", "1"),
        ("c", "2"),
        ("d", "2"),
        ("e", None),
        ("f", None),
    ]
    assert decoder.last_event_id is None
    decoder.feed(b"id: 9\n")
    assert decoder.last_event_id == "9"


@pytest.mark.parametrize(
    ("line", "retry"),
    [
        (b"retry: 1500", 1500),
        (b"retry:0", 0),
        (b"retry: 15a", None),
        (b"retry: -1", None),
        (b"retry:  15", None),
        (b"retry: 1.5", None),
        (b"retry:", None),
        (b"retry", None),
        ("retry: \u0661\u0662".encode(), None),  # non-ASCII digits
    ],
)
def test_retry_digits_only(line: bytes, retry: int | None) -> None:
    events = events_of(line + b"\ndata: x\n\ndata: y\n\n")
    assert events == [E("x", retry=retry), E("y")]


def test_splitlines_characters_are_preserved() -> None:
    payload = '{"text":"a' + "b".join(SPLITLINES_BREAKS) + 'z"}'
    raw = f"event: e{SPLITLINES_BREAKS}\nid: i{SPLITLINES_BREAKS}\ndata: {payload}\n\n".encode()
    expected = [
        E(payload, event=f"e{SPLITLINES_BREAKS}", id=f"i{SPLITLINES_BREAKS}"),
    ]
    assert_chunking_invariant(raw, expected)
    assert_chunking_invariant(f"data: {payload}\n\n".encode(), [E(payload)])


# --- UTF-8 and BOM ---------------------------------------------------------------------------


def test_utf8_split_at_every_byte() -> None:
    text = "é€𝄞 ü\u2028ok"
    assert_chunking_invariant(f"data: {text}\n\n".encode(), [E(text)])
    assert_chunking_invariant(f"event: {text}\ndata: {text}\n\n".encode(), [E(text, event=text)])


@pytest.mark.parametrize(
    "raw",
    [
        b"data: \xff\n\n",
        b"data: \xe2\x82\n\n",  # a sequence cut by the line end
        b"data: \xc0\xaf\n\n",  # overlong
        b"data: \xed\xa0\x80\n\n",  # an encoded surrogate
        b"data: a\ndata: \x80\n\n",
        b"event: \xc3\x28\ndata: x\n\n",
        b"id: \xff\ndata: x\n\n",
        b": \xff\n",
        b"\xffdata: x\n\n",
    ],
)
def test_invalid_utf8_raises(raw: bytes) -> None:
    with pytest.raises(SSEDecodeError, match="invalid UTF-8"):
        decode([raw])
    with pytest.raises(SSEDecodeError, match="invalid UTF-8"):
        decode(bytewise(raw))


def test_bom_at_stream_start_is_stripped() -> None:
    assert_chunking_invariant(BOM + b"data: x\n\n", [E("x")])
    assert_chunking_invariant(BOM + b"data: x\r\rdata: y\r\r", [E("x"), E("y")])


def test_bom_elsewhere_is_kept() -> None:
    assert events_of(b"data: " + BOM + b"x\n\n") == [E("\ufeffx")]
    # Only one BOM is stripped; a BOM at a later line start makes an unknown field name.
    assert events_of(BOM + BOM + b"data: x\n\n") == []
    assert events_of(b"data: a\n\n" + BOM + b"data: b\n\n") == [E("a")]


# --- End of body -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"data: x\n",
        b"data: x",
        b"event: add\n",
        b"data: x\n\ndata: y",
        b"data: x\r\n\r\nid: 1\r\n",
        b"retry: 10\n",
        b"\xef\xbb",
    ],
)
def test_truncated_stream_is_pending_and_not_dispatched(raw: bytes) -> None:
    for chunks in ([raw], bytewise(raw)):
        decoder = SSEDecoder()
        before = [event for chunk in chunks for event in decoder.feed(chunk)]
        assert all(event.data == "x" for event in before)
        assert decoder.flush() == []
        assert decoder.pending


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"data: x\n\n",
        b"data: x\n\n: keep-alive\n",
        b"data: x\n\n\n\n",
        b"data: x\r\n\r\n",
        b"data: x\r\r",
        b": hi\n",
        BOM,
    ],
)
def test_clean_end_is_not_pending(raw: bytes) -> None:
    for chunks in ([raw], bytewise(raw)):
        events, decoder = decode(chunks)
        assert all(event.data == "x" for event in events)
        assert not decoder.pending


# --- Size limits -----------------------------------------------------------------------------


def test_comment_flood_keeps_memory_bounded() -> None:
    line = b": keep-alive ping\n"
    flood = line * (10 * 1000 * 1000 // len(line))
    decoder = SSEDecoder(max_event_size=KIB)  # comments are not part of any event
    for start in range(0, len(flood), 64 * KIB):
        assert decoder.feed(flood[start : start + 64 * KIB]) == []
        assert decoder.buffered_size < len(line)
    assert not decoder.pending
    assert decoder.feed(b"data: x\n\n") == [E("x")]


def test_huge_line_raises_at_the_limit_without_buffering_it_all() -> None:
    limit = 16 * MIB
    decoder = SSEDecoder()
    piece = b"x" * (64 * KIB)
    sizes: list[int] = []

    def feed_20_mib() -> None:
        decoder.feed(b"data: ")
        for _ in range(20 * MIB // len(piece)):
            decoder.feed(piece)
            sizes.append(decoder.buffered_size)

    with pytest.raises(SSEEventTooLargeError, match=str(limit)) as caught:
        feed_20_mib()
    assert "max_event_size" in str(caught.value)
    assert max(sizes) <= limit
    fed_when_raised = len(b"data: ") + (len(sizes) + 1) * len(piece)
    assert limit < fed_when_raised <= limit + len(piece)


@pytest.mark.parametrize(
    ("head", "tail"),
    [
        pytest.param(b"data: ", b"\n\n", id="complete line"),
        pytest.param(b"data: ", b"", id="incomplete line"),
        pytest.param(b": ", b"\n", id="comment line"),
    ],
)
def test_oversized_line_in_one_chunk_raises(head: bytes, tail: bytes) -> None:
    with pytest.raises(SSEEventTooLargeError):
        SSEDecoder().feed(head + b"x" * (20 * MIB) + tail)


def test_oversized_event_of_small_lines_raises() -> None:
    line = b"data: " + b"x" * KIB + b"\n"
    with pytest.raises(SSEEventTooLargeError):
        SSEDecoder().feed(line * (20 * KIB))
    chunks = [line] * 100
    with pytest.raises(SSEEventTooLargeError):
        decode(chunks, max_event_size=64 * KIB)


def test_one_mib_event_is_accepted() -> None:
    data = "x" * MIB
    raw = f"data: {data}\n\n".encode()
    assert events_of(raw) == [E(data)]
    assert decode(split_at(raw, range(0, len(raw), 64 * KIB)))[0] == [E(data)]
    lines = ["y" * KIB] * KIB
    multiline = "".join(f"data:{line}\n" for line in lines).encode() + b"\n"
    assert decode(split_at(multiline, range(0, len(multiline), 64 * KIB)))[0] == [
        E("\n".join(lines))
    ]


def test_limit_boundary_is_the_same_for_any_chunking() -> None:
    # The limit counts an event's field lines with their line endings, plus any partial line.
    fits = b"id: 1\ndata: 0123\n"
    limit = len(fits)
    over = b"id: 1\ndata: 01234\n"
    for raw, too_large in ((fits + b"\n", False), (over + b"\n", True), (over, True)):
        for chunks in ([raw], bytewise(raw)):
            if too_large:
                with pytest.raises(SSEEventTooLargeError):
                    decode(chunks, max_event_size=limit)
            else:
                assert decode(chunks, max_event_size=limit)[0] == [E("0123", id="1")]


def test_limit_applies_per_event() -> None:
    raw = b"data: 0123456789\n\n" * 100
    assert len(decode([raw], max_event_size=32)[0]) == 100


# --- Properties ------------------------------------------------------------------------------


@dataclass
class Block:
    """One event block as written on the wire; data=None writes no data line."""

    data: str | None
    event: str | None
    id: str | None
    retry: int | None
    comment: str | None
    order: list[str]
    spaces: list[bool]


_ANY_CHAR = st.characters(exclude_categories=["Cs"], exclude_characters="\r\n")
_TRICKY = st.sampled_from([*SPLITLINES_BREAKS, "\ufeff", "\x00", ":", " ", "é", "𝄞"])
_value = st.text(st.one_of(_TRICKY, _ANY_CHAR), max_size=12)
_data = st.text(st.one_of(_TRICKY, _ANY_CHAR, st.just("\n")), max_size=40)
_FIELDS = ["comment", "event", "data", "id", "retry"]

blocks = st.builds(
    Block,
    data=st.one_of(st.none(), _data, _data, _data),
    event=st.one_of(st.none(), _value),
    id=st.one_of(st.none(), _value.filter(lambda v: "\x00" not in v)),
    retry=st.one_of(st.none(), st.integers(0, 10**12)),
    comment=st.one_of(st.none(), _value),
    order=st.permutations(_FIELDS),
    spaces=st.lists(st.booleans(), min_size=8, max_size=8),
)


def block_lines(block: Block) -> list[str]:
    lines: list[str] = []
    for name in block.order:
        value: object = getattr(block, name)
        if value is None:
            continue
        if name == "comment":
            lines.append(f":{value}")
            continue
        values = str(value).split("\n") if name == "data" else [str(value)]
        for part in values:
            # One leading space is optional, but needed when the value starts with a space.
            space = block.spaces[len(lines) % len(block.spaces)] or part.startswith(" ")
            lines.append(f"{name}: {part}" if space else f"{name}:{part}")
    return [*lines, ""]


def encode(blocks: list[Block], endings: list[str], bom: bool) -> bytes:
    out: list[str] = []
    previous = ""
    lines = [line for block in blocks for line in block_lines(block)]
    for i, line in enumerate(lines):
        ending = endings[i % len(endings)]
        if previous == "\r" and not line and ending == "\n":
            ending = "\r\n"  # CR + a blank line's LF would read as one CRLF
        out.append(line + ending)
        previous = ending
    return (BOM if bom else b"") + "".join(out).encode()


def expected_events(blocks: list[Block]) -> list[ServerSentEvent]:
    events = []
    last_id = None
    for block in blocks:
        if block.id is not None:
            last_id = block.id or None
        if block.data is not None:
            events.append(
                E(block.data, event=block.event or "message", id=last_id, retry=block.retry)
            )
    return events


_stream = st.tuples(
    st.lists(blocks, max_size=6),
    st.lists(st.sampled_from(["\n", "\r", "\r\n"]), min_size=1, max_size=6),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(stream=_stream, cuts=st.lists(st.floats(0, 1), max_size=12))
def test_any_chunking_decodes_the_encoded_events(
    stream: tuple[list[Block], list[str], bool], cuts: list[float]
) -> None:
    blocks, endings, bom = stream
    raw = encode(blocks, endings, bom)
    expected = expected_events(blocks)
    whole, decoder = decode([raw])
    assert whole == expected
    assert not decoder.pending
    chunked, decoder = decode(split_at(raw, {int(c * len(raw)) for c in cuts}))
    assert chunked == whole
    assert not decoder.pending


@settings(max_examples=200, deadline=None)
@given(stream=_stream, cut=st.floats(0, 1), splits=st.lists(st.floats(0, 1), max_size=4))
def test_any_prefix_yields_a_prefix_of_the_events(
    stream: tuple[list[Block], list[str], bool], cut: float, splits: list[float]
) -> None:
    blocks, endings, bom = stream
    raw = encode(blocks, endings, bom)
    prefix = raw[: int(cut * len(raw))]
    events, _ = decode(split_at(prefix, {int(s * len(prefix)) for s in splits}))
    assert events == expected_events(blocks)[: len(events)]


def decode_payloads(
    chunks: Iterable[bytes], *, named: bool = False
) -> list[ServerSentEvent | bytes]:
    decoder = SSEDecoder(named_payloads=named)
    items: list[ServerSentEvent | bytes] = []
    for chunk in chunks:
        items += decoder.feed_payloads(chunk)
    items += decoder.flush()
    return items


@settings(max_examples=300, deadline=None)
@given(stream=_stream, cuts=st.lists(st.floats(0, 1), max_size=12))
def test_payload_fast_path_yields_what_the_full_decoder_yields(
    stream: tuple[list[Block], list[str], bool], cuts: list[float]
) -> None:
    """feed_payloads hands over the data bytes of plain events, and full events for the rest."""
    blocks, endings, bom = stream
    raw = encode(blocks, endings, bom)
    chunks = split_at(raw, {int(c * len(raw)) for c in cuts})
    full, _ = decode(chunks)
    fast = decode_payloads(chunks)
    assert len(fast) == len(full)
    for item, event in zip(fast, full, strict=True):
        if isinstance(item, bytes):
            # Only a plain message event may travel as bare bytes: its data is all there is.
            assert event.event == "message"
            assert event.retry is None
            assert item.decode() == event.data
        else:
            assert item == event


def test_payload_fast_path_takes_plain_one_line_events_only() -> None:
    raw = (
        b'data: {"a":1}\n\ndata:{"b":2}\n\n'
        b'event: ping\ndata: {}\n\ndata: 1\ndata: 2\n\nid: 3\ndata: {"c":3}\n\n'
    )
    whole = decode_payloads([raw])
    assert [item for item in whole if isinstance(item, bytes)] == [b'{"a":1}', b'{"b":2}']
    assert len(whole) == 5
    # An event completed by a later chunk comes whole, as a ServerSentEvent: same data.
    pieces = decode_payloads(bytewise(raw))
    assert [e.data for e in pieces if isinstance(e, ServerSentEvent)][:2] == ['{"a":1}', '{"b":2}']
    assert len(pieces) == 5


@settings(max_examples=300, deadline=None)
@given(stream=_stream, cuts=st.lists(st.floats(0, 1), max_size=12))
def test_named_payload_fast_path_yields_what_the_full_decoder_yields(
    stream: tuple[list[Block], list[str], bool], cuts: list[float]
) -> None:
    """named_payloads also hands over the data of an ``event:`` + ``data:`` event, name dropped."""
    blocks, endings, bom = stream
    raw = encode(blocks, endings, bom)
    chunks = split_at(raw, {int(c * len(raw)) for c in cuts})
    full, _ = decode(chunks)
    fast = decode_payloads(chunks, named=True)
    assert len(fast) == len(full)
    for item, event in zip(fast, full, strict=True):
        if isinstance(item, bytes):
            assert event.retry is None
            assert item.decode() == event.data
        else:
            assert item == event


def test_named_payloads_take_one_event_line_then_one_data_line() -> None:
    raw = (
        b'event: response.output_text.delta\ndata: {"a":1}\n\n'
        b'event:x\ndata:{"b":2}\n\n'
        b'data: {"c":3}\n\n'
        b"event: y\ndata: 1\ndata: 2\n\n"
        b'data: {"d":4}\nevent: z\n\n'
        b'event: w\nid: 5\ndata: {"e":5}\n\n'
        b'event: error\ndata: {"f":6}\n\n'
    )
    items = decode_payloads([raw], named=True)
    assert [item for item in items if isinstance(item, bytes)] == [
        b'{"a":1}',
        b'{"b":2}',
        b'{"c":3}',
    ]
    assert len(items) == 7
    assert items[-1] == ServerSentEvent(event="error", data='{"f":6}', id="5")
    # Without the option a named event stays a ServerSentEvent.
    assert sum(isinstance(item, bytes) for item in decode_payloads([raw])) == 1
