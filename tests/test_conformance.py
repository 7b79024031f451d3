"""Conformance: every recorded real exchange, replayed byte for byte through the local server.

For each case of the corpus (``/work/shared/conformance``, or ``$HF_INFERENCE_CONFORMANCE_DIR``)
the local server is scripted with the recorded answer (status, headers, content type, exact
body; event streams one event per chunk), the client task the recording belongs to is called
with the recorded inputs, and the test checks the typed result (or the typed error) against the
recorded body, the machine-checkable part of the case's ``expected`` block, and what the client
sent against the recorded request.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import pytest
from conformance_support import (
    BINARY_OUTPUT_TASKS,
    ENV_VAR,
    Case,
    Plan,
    Root,
    assert_wire_equal,
    chat_content,
    check_expected,
    conformance_dir,
    joined_deltas,
    load_cases,
    media_type,
    natural_output,
    plan_call,
    sse_payloads,
    tokens_in_order,
)

import hf_inference as hfi
from hf_inference import AsyncInferenceClient, ChatCompletionAccumulator
from hf_inference import types as t
from hf_inference.testing import LocalInferenceServer, RecordedRequest

pytestmark = pytest.mark.anyio

CORPUS = conformance_dir()
if CORPUS is None:
    pytest.skip(
        f"conformance corpus not found (set {ENV_VAR} to its directory)", allow_module_level=True
    )

#: Cases that cannot be replayed, and why.
EXCLUDED: dict[str, str] = {
    "conversational__blenderbot-legacy": (
        "the legacy conversational route is gone: the client serves conversational() over chat "
        "completions, so this pipeline-shaped answer can no longer be requested"
    ),
}
#: Known client bugs (strict xfail: the mark must go once the bug is fixed).
CLIENT_BUGS: dict[str, str] = {}
#: Known local-server bugs (strict xfail as well).
SERVER_BUGS: dict[str, str] = {}

#: The huggingface.js client returned only the top answer; its expected block describes it.
FIRST_ITEM_ONLY = frozenset({"document-question-answering__layoutlm-invoice"})

STATUS_ERRORS: dict[int, type[hfi.HTTPStatusError]] = {
    400: hfi.BadRequestError,
    401: hfi.AuthenticationError,
    404: hfi.NotFoundError,
    422: hfi.UnprocessableEntityError,
    429: hfi.RateLimitError,
    500: hfi.ServerError,
}
STREAM_ERRORS: dict[str, type[hfi.StreamError]] = {
    "validation": hfi.StreamValidationError,
    "generation": hfi.GenerationError,
    "overloaded": hfi.OverloadedError,
    "incomplete_generation": hfi.IncompleteGenerationError,
}


CASES = load_cases(CORPUS)


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks: list[pytest.MarkDecorator] = []
        if case.name in EXCLUDED:
            marks.append(pytest.mark.skip(reason=EXCLUDED[case.name]))
        bug = CLIENT_BUGS.get(case.name) or SERVER_BUGS.get(case.name)
        if bug:
            marks.append(pytest.mark.xfail(strict=True, reason=bug))
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


@pytest.fixture
async def conformance_client(
    server: LocalInferenceServer,
) -> AsyncIterator[AsyncInferenceClient]:
    # No retries and no waiting for loading models: every recorded error must surface at once.
    async with AsyncInferenceClient(
        "hf_conformance_token_0123456789",
        base_url=server.base_url,
        max_retries=0,
        wait_for_model=False,
    ) as client:
        yield client


@pytest.mark.parametrize("case", _params())
async def test_recorded_exchange(
    case: Case, server: LocalInferenceServer, conformance_client: AsyncInferenceClient
) -> None:
    plan = plan_call(case)
    client = conformance_client
    if plan.endpoint is not None:
        client = conformance_client.endpoint(server.endpoint_url(plan.endpoint))
    call = getattr(client, plan.method)

    if plan.rejected is not None:
        # The recorded argument is refused before any request; the answer is then replayed
        # for the nearest valid call.
        with pytest.raises(hfi.InvalidInputError):
            await _consume(call, plan.rejected, plan, [])
        assert server.requests == []

    server.script(plan.script_key, case.reply())
    await _check_answer(case, plan, call)
    _check_sent(plan, server.requests)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c.name)
        for c in CASES
        if c.is_sse and c.status == 200 and c.name not in EXCLUDED and not c.snapshot
    ],
)
async def test_recorded_stream_in_small_pieces(
    case: Case, server: LocalInferenceServer, conformance_client: AsyncInferenceClient
) -> None:
    """The same streams cut every 7 bytes: events and lines arrive split across reads."""
    plan = plan_call(case)
    server.script(plan.script_key, case.reply(chunk_size=7))
    await _check_answer(case, plan, getattr(conformance_client, plan.method))
    _check_sent(plan, server.requests)


async def _check_answer(case: Case, plan: Plan, call: Any) -> None:
    if case.status >= 400:
        await _check_http_error(case, plan, call)
    elif case.task == "error":
        await _check_stream_error(case, plan, call)
    elif plan.stream:
        await _check_stream(case, plan, call)
    elif case.task_family in BINARY_OUTPUT_TASKS:
        await _check_binary(case, plan, call)
    else:
        await _check_json(case, plan, call)


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.name) for c in CASES if c.provider is not None],
)
async def test_provider_keyword_routes_like_the_model_suffix(
    case: Case, server: LocalInferenceServer, conformance_client: AsyncInferenceClient
) -> None:
    """``provider=`` per call must reach the router exactly like ``model="m:provider"``."""
    plan = plan_call(case)
    model, _, provider = str(plan.kwargs["model"]).rpartition(":")
    plan.kwargs = {**plan.kwargs, "model": model, "provider": provider}
    server.script(plan.script_key, case.reply())
    call = getattr(conformance_client, plan.method)
    if plan.stream:
        await _check_stream(case, plan, call)
    else:
        await _check_json(case, plan, call)
    _check_sent(plan, server.requests)


async def _consume(call: Any, args: tuple[Any, ...], plan: Plan, events: list[Any]) -> Any:
    """Run the call; a stream is read to its end into ``events`` and returned."""
    if not plan.stream:
        return await call(*args, **plan.kwargs)
    async with call(*args, **plan.kwargs) as stream:
        async for event in stream:
            events.append(event)
    assert stream.closed
    return stream


# -- 200 answers --------------------------------------------------------------------------------


async def _check_json(case: Case, plan: Plan, call: Any) -> None:
    output = await _consume(call, plan.args, plan, [])
    assert_wire_equal(natural_output(case.task_family, case.wire_json, plan.inputs), output)

    names: dict[str, Callable[[], Any]] = {}
    if isinstance(output, list) and output:
        names["first"] = lambda: output[0]
    if isinstance(output, t.TextGenerationOutput):
        names["result"] = lambda: output.generated_text
    if isinstance(output, t.ChatCompletionOutput):
        names["tool_calls"] = lambda: output.choices[0].message.tool_calls
    root = Root(output[0] if case.name in FIRST_ITEM_ONLY else output, names)
    specials = {
        "each_item": lambda value: _check_segments(output),
        "contains_item": lambda value: _check_zero_shot_batch(output, value),
        "text.lower().strip() (punctuation removed)": lambda value: _assert(
            re.sub(r"[^\w\s]", "", output.text.lower().strip()) == value
        ),
    }
    check_expected(case.expected, root, specials=specials)


def _check_segments(output: list[t.ImageSegmentationOutputElement]) -> None:
    from PIL import Image

    for item in output:
        assert isinstance(item.score, float)
        assert isinstance(item.label, str)
        with Image.open(io.BytesIO(item.mask_bytes)) as mask:
            assert mask.format == "PNG"
            assert mask.size == (512, 512)


def _check_zero_shot_batch(output: Any, value: dict[str, Any]) -> None:
    (first,) = output
    assert [item.label for item in first] == value["labels"]
    for item, score in zip(first, value["scores_close_to_5dp"], strict=True):
        assert item.score == pytest.approx(score, abs=1e-5)


async def _check_binary(case: Case, plan: Plan, call: Any) -> None:
    output = await _consume(call, plan.args, plan, [])
    assert isinstance(output, hfi.BinaryOutput)
    assert output.data == case.body
    assert output.media_type == media_type(case.content_type)

    def image() -> Any:
        from PIL import Image

        return Image.open(io.BytesIO(output.data))

    check_expected(case.expected, Root(output, {"image": image}))


async def _check_stream(case: Case, plan: Plan, call: Any) -> None:
    events: list[Any] = []
    stream = await _consume(call, plan.args, plan, events)
    assert stream.status == 200
    if case.request_id is not None:
        assert stream.request_id == case.request_id

    payloads = sse_payloads(case.body)
    assert len(events) == len(payloads), f"{len(events)} events, {len(payloads)} recorded"
    for i, (payload, event) in enumerate(zip(payloads, events, strict=True)):
        assert_wire_equal(payload, event, f"events[{i}]")
    chat = case.task_family == "chat-completion"
    if chat:
        _check_accumulated(payloads, events)

    names: dict[str, Callable[[], Any]] = {
        "events": lambda: events,
        "first": lambda: events[0],
        "last": lambda: events[-1],
        "last_event": lambda: events[-1],
        "final_event": lambda: events[-1],
    }
    if chat:
        names["joined_content"] = lambda: chat_content(events)
    else:
        names["yielded"] = lambda: [event.token.text for event in events]

    def every_chunk() -> list[Root]:
        # Some keys say "chunk.delta" for the delta of the chunk's first choice.
        return [Root(e, {"delta": partial(_first_delta, e)}) for e in events]

    subsets: dict[str, Callable[[], list[Any]]] = {
        "all_but_last": lambda: events[:-1],
        "other_events": lambda: events[:-1],
        "non_final_events": lambda: events[:-1],
        "each_event_matches": lambda: events,
        "every_chunk": every_chunk,
        "content_chunks": lambda: [e for e in events if e.choices and e.choices[0].delta.content],
    }

    def count_content(value: Any) -> None:
        count = sum(1 for e in events if e.choices and e.choices[0].delta.content is not None)
        assert count == value

    specials: dict[str, Callable[[Any], None]] = {
        "token_texts_contain_in_order": lambda value: _assert(
            tokens_in_order([e.token.text for e in events], value)
        ),
        "exactly_one_chunk_has_usage": lambda value: _assert(
            (sum(1 for e in events if e.usage is not None) == 1) is value
        ),
        "all_share_created": lambda value: _assert(
            (len({e.created for e in events}) == 1) is value
        ),
        "count(chunks with delta.content not null)": count_content,
    }
    if not chat:
        specials["details"] = lambda value: _assert(all(e.details == value for e in events))
    expected = case.expected if isinstance(case.expected, dict) else {}
    for key in expected:
        if key.startswith("concat(") and key.endswith(")"):
            path = key[len("concat(") : -1]
            specials[key] = partial(_check_joined, events, path)
    check_expected(case.expected, Root(events, names), subsets=subsets, specials=specials)


def _assert(condition: bool) -> None:
    assert condition


def _first_delta(chunk: t.ChatCompletionStreamOutput) -> t.ChatCompletionStreamOutputDelta:
    return chunk.choices[0].delta


def _check_joined(events: list[Any], path: str, value: Any) -> None:
    joined = joined_deltas(events, path)
    assert joined == value, f"concat({path}): {joined!r} != {value!r}"


def _check_accumulated(payloads: list[Any], events: list[Any]) -> None:
    """The accumulated completion spells out exactly the recorded deltas, per choice."""
    accumulator = ChatCompletionAccumulator()
    for event in events:
        accumulator.add(event)
    result = {choice.index: choice for choice in accumulator.result().choices}
    contents: dict[int, str] = {}
    arguments: dict[int, str] = {}
    for payload in payloads:
        for choice in payload["choices"]:
            delta = choice.get("delta") or {}
            index = choice.get("index", 0)
            contents[index] = contents.get(index, "") + (delta.get("content") or "")
            for call in delta.get("tool_calls") or []:
                piece = call.get("function", {}).get("arguments")
                if isinstance(piece, str):
                    arguments[index] = arguments.get(index, "") + piece
    assert set(result) == set(contents)
    for index, text in contents.items():
        assert (result[index].message.content or "") == text
    for index, text in arguments.items():
        tool_calls = result[index].message.tool_calls
        assert tool_calls is not None
        assert "".join(c.function.arguments for c in tool_calls) == text


# -- errors --------------------------------------------------------------------------------------


def _recorded_messages(case: Case) -> list[str]:
    """The server's own error text(s), as the recorded body carries them."""
    if media_type(case.content_type) != "application/json":
        return [case.body.decode("utf-8").strip()]
    error = case.wire_json.get("error")
    return [str(e) for e in error] if isinstance(error, list) else [str(error)]


async def _check_http_error(case: Case, plan: Plan, call: Any) -> None:
    body = case.wire_json if media_type(case.content_type) == "application/json" else {}
    expected_class: type[hfi.HTTPStatusError]
    if case.status == 503:
        loading = "estimated_time" in body
        expected_class = hfi.ModelLoadingError if loading else hfi.ServiceUnavailableError
    else:
        expected_class = STATUS_ERRORS[case.status]

    with pytest.raises(hfi.HfInferenceError) as info:
        await _consume(call, plan.args, plan, [])
    error = info.value
    assert type(error) is expected_class, f"{type(error).__name__}: {error}"
    assert isinstance(error, hfi.HTTPStatusError)
    assert error.status == case.status
    for message in _recorded_messages(case):
        assert message in str(error)
    assert error.model == plan.model
    assert error.body == case.body
    if case.request_id is not None:
        assert error.request_id == case.request_id
    if "error_type" in body:
        assert error.error_type == body["error_type"]
    assert error.warnings == body.get("warnings", [])
    if isinstance(error, hfi.ModelLoadingError):
        assert error.estimated_time == body["estimated_time"]

    expected = case.expected if isinstance(case.expected, dict) else {}
    if "status" in expected:
        assert error.status == expected["status"]
    if "estimated_time" in expected:
        assert isinstance(error, hfi.ModelLoadingError)
        assert error.estimated_time == expected["estimated_time"]
    if "error" in expected:
        texts = expected["error"] if isinstance(expected["error"], list) else [expected["error"]]
        for text in texts:
            assert text in str(error)


async def _check_stream_error(case: Case, plan: Plan, call: Any) -> None:
    payloads = sse_payloads(case.body)
    error_payload = payloads[-1]
    assert "error" in error_payload
    events: list[Any] = []
    with pytest.raises(hfi.StreamError) as info:
        await _consume(call, plan.args, plan, events)
    error = info.value
    assert type(error) is STREAM_ERRORS[error_payload["error_type"]]
    assert error.error_type == error_payload["error_type"]
    assert error.message == error_payload["error"]
    assert error.status == 200
    assert error.model == plan.model
    assert len(events) == len(payloads) - 1
    # The expected block's raises_message carries the peer client's own prefix ("Error
    # forwarded from backend: ..."); the server's words are what must come through.
    assert error_payload["error"] in str(error)


# -- what the client sent ------------------------------------------------------------------------


def _check_sent(plan: Plan, requests: list[RecordedRequest]) -> None:
    assert len(requests) == 1, [r.path for r in requests]
    (sent,) = requests
    assert sent.method == "POST"
    assert sent.path == plan.path
    sent_media = media_type(sent.headers.get("content-type", ""))
    if plan.sent_raw is not None:
        assert sent.body == plan.sent_raw
        assert sent_media == plan.sent_media_type
    else:
        assert sent_media == "application/json"
        assert sent.json == plan.sent_json, _diff(plan.sent_json, sent.json)
    for name, value in plan.sent_headers.items():
        assert sent.headers.get(name) == value, name


def _diff(expected: Any, actual: Any) -> str:
    def short(value: Any) -> str:
        text = json.dumps(value, default=lambda b: base64.b64encode(b).decode())
        return text if len(text) < 600 else text[:600] + "..."

    return f"expected {short(expected)}\n     got {short(actual)}"
