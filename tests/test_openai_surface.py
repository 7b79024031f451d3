"""The OpenAI-shaped surface against the local server: the Responses API (plain and streamed),
``chat.completions.create``, ``api_key=``, structured outputs and the raw answer."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import msgspec
import pytest

from hf_inference import (
    AsyncInferenceClient,
    DecodeError,
    InvalidInputError,
    ResponseFailedError,
    StreamError,
    accumulate_chat_stream,
    with_raw_response,
)
from hf_inference import types as t
from hf_inference.testing import LocalInferenceServer, Reply, ResponseFailure
from hf_inference.testing._responses import parse_responses, response_events

pytestmark = pytest.mark.anyio

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
USER = [{"role": "user", "content": "Tell me about Paris"}]
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


class City(msgspec.Struct):
    name: str
    population: int


class Country(msgspec.Struct):
    name: str
    capital: City
    cities: list[City]


@dataclasses.dataclass
class Pair:
    left: str
    right: float


class Label(TypedDict):
    label: str
    score: float


async def collect(stream: Any) -> list[Any]:
    return [event async for event in stream]


# --- Responses API ------------------------------------------------------------------------------


async def test_responses_create_returns_a_typed_response(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    answer = await client.responses.create(model=MODEL, input="Tell me about Paris")
    assert isinstance(answer, t.Response)
    assert answer.status == "completed"
    assert answer.output_text.startswith("Here is") or answer.output_text
    assert [item.type for item in answer.output] == ["message"]
    assert answer.output[0].content is not None
    assert answer.output[0].content[0].type == "output_text"
    assert answer.usage is not None and answer.usage.output_tokens > 0
    request = server.requests[-1]
    assert request.path == "/v1/responses"
    assert request.json == {"model": MODEL, "input": "Tell me about Paris"}
    assert request.headers["authorization"] == "Bearer hf_test_token_0123456789"


async def test_responses_body_carries_instructions_provider_and_parameters(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    await client.responses.create(
        model=MODEL,
        input=USER,
        instructions="Be brief.",
        max_output_tokens=5,
        provider="cerebras",
        extra_body={"store": False},
    )
    assert server.requests[-1].json == {
        "model": f"{MODEL}:cerebras",
        "input": USER,
        "instructions": "Be brief.",
        "max_output_tokens": 5,
        "store": False,
    }


async def test_responses_refuses_an_unknown_keyword_before_sending(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    with pytest.raises(InvalidInputError, match="did you mean 'max_output_tokens'"):
        await client.responses.create(model=MODEL, input=USER, max_output_token=5)  # type: ignore[call-overload]
    with pytest.raises(InvalidInputError, match="unknown keyword argument 'max_output_token'"):
        await client.responses.create(model=MODEL, input=USER, stream=True, max_output_token=5)  # type: ignore[call-overload]
    assert server.requests == []


async def test_responses_stream_deltas_spell_the_final_text(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    stream = await client.responses.create(model=MODEL, input="Tell me about Paris", stream=True)
    events = await collect(stream)
    assert stream.closed
    types = [event.type for event in events]
    assert types[:3] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
    ]
    assert types[-1] == "response.completed"
    deltas = [e.delta for e in events if isinstance(e, t.ResponseTextDeltaEvent)]
    final = events[-1]
    assert isinstance(final, t.ResponseCompletedEvent)
    assert len(deltas) > 5
    assert "".join(deltas) == final.response.output_text
    done = next(e for e in events if isinstance(e, t.ResponseTextDoneEvent))
    assert done.text == final.response.output_text
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert server.requests[-1].json["stream"] is True
    await server.wait_connections(1)  # the connection went back to the pool, still open


async def test_responses_stream_with_function_call_and_reasoning(
    client: AsyncInferenceClient,
) -> None:
    stream = await client.responses.create(
        model=MODEL,
        input="Weather in Paris?",
        tools=[WEATHER_TOOL],
        reasoning={"effort": "low"},
        stream=True,
    )
    events = await collect(stream)
    reasoning = "".join(e.delta for e in events if isinstance(e, t.ResponseReasoningTextDeltaEvent))
    arguments = "".join(
        e.delta for e in events if isinstance(e, t.ResponseFunctionCallArgumentsDeltaEvent)
    )
    args_done = next(e for e in events if isinstance(e, t.ResponseFunctionCallArgumentsDoneEvent))
    final = events[-1]
    assert isinstance(final, t.ResponseCompletedEvent)
    kinds = [item.type for item in final.response.output]
    assert kinds == ["reasoning", "function_call"]
    call = final.response.output[1]
    assert call.name == "get_weather" and call.call_id
    assert arguments == args_done.arguments == call.arguments
    assert set(msgspec.json.decode(arguments)) == {"city"}
    assert reasoning == final.response.output[0].text
    assert final.response.output_text == ""


async def test_responses_unknown_event_type_is_kept_not_dropped(
    client: AsyncInferenceClient,
) -> None:
    stream = await client.responses.create(
        model=MODEL,
        input="hi",
        stream=True,
        headers={"x-test-unknown-event": "response.from_the_future"},
    )
    events = await collect(stream)
    unknown = [e for e in events if isinstance(e, t.ResponseEvent)]
    assert len(unknown) == 1
    assert unknown[0].type == "response.from_the_future"
    assert unknown[0].data["note"]
    assert events[1] is unknown[0]
    assert isinstance(events[-1], t.ResponseCompletedEvent)


async def test_responses_failed_event_raises_with_the_failed_response(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    server.script(MODEL, ResponseFailure(after_deltas=3, code="server_error"))
    seen: list[Any] = []
    stream = await client.responses.create(model=MODEL, input="hi", stream=True)
    with pytest.raises(ResponseFailedError) as caught:
        async for event in stream:
            seen.append(event)
    assert sum(isinstance(e, t.ResponseTextDeltaEvent) for e in seen) == 3
    assert caught.value.error_type == "server_error"
    assert caught.value.response.status == "failed"
    assert caught.value.response.error.message == "The model failed to generate a response."
    assert caught.value.model == MODEL
    assert stream.closed


async def test_responses_error_event_raises_a_stream_error(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    server.script(MODEL, ResponseFailure(after_deltas=0, event="error", code="overloaded"))
    stream = await client.responses.create(model=MODEL, input="hi", stream=True)
    with pytest.raises(StreamError) as caught:
        await collect(stream)
    assert caught.value.error_type == "overloaded"
    assert "failed to generate" in caught.value.message
    assert stream.closed


@pytest.mark.parametrize(
    ("data", "error_type", "message"),
    [
        (b'{"code":"overloaded","message":"busy"}', "overloaded", "busy"),
        (b'{"error":{"message":"quota","type":"generation"}}', "generation", "quota"),
        (b'{"type":"error","code":null,"message":"odd","param":null}', None, "odd"),
    ],
)
async def test_responses_error_events_of_every_shape_raise(
    client: AsyncInferenceClient,
    server: LocalInferenceServer,
    data: bytes,
    error_type: str | None,
    message: str,
) -> None:
    created = (
        b'event: response.created\ndata: {"type":"response.created","sequence_number":0,'
        b'"response":{"id":"r","status":"in_progress","output":[]}}\n\n'
    )
    body = created + b"event: error\ndata: " + data + b"\n\n"
    server.script(MODEL, Reply(body=body, content_type="text/event-stream"))
    stream = await client.responses.create(model=MODEL, input="hi", stream=True)
    seen: list[Any] = []
    with pytest.raises(StreamError) as caught:
        async for event in stream:
            seen.append(event)
    assert [type(e) for e in seen] == [t.ResponseCreatedEvent]
    assert caught.value.error_type == error_type
    assert caught.value.message == message
    assert caught.value.request_id is not None
    assert stream.closed


async def test_responses_failed_status_raises_when_not_streamed(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    server.script(MODEL, ResponseFailure(code="server_error"))
    with pytest.raises(ResponseFailedError) as caught:
        await client.responses.create(model=MODEL, input="hi")
    assert caught.value.response.error.code == "server_error"


async def test_responses_stream_cut_before_its_last_event_is_incomplete(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    from hf_inference import IncompleteStreamError

    body = (
        b'event: response.created\ndata: {"type":"response.created","sequence_number":0,'
        b'"response":{"id":"r","status":"in_progress","output":[]}}\n\n'
    )
    server.script(MODEL, Reply(body=body, content_type="text/event-stream"))
    stream = await client.responses.create(model=MODEL, input="hi", stream=True)
    with pytest.raises(IncompleteStreamError):
        await collect(stream)


async def test_responses_stream_events_split_across_reads_decode_the_same(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    whole = await collect(await client.responses.create(model=MODEL, input="hi", stream=True))
    body = b"".join(response_events(parse_responses({"input": "hi", "stream": True}, MODEL)))
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    server.script(MODEL, Reply(chunks=chunks, content_type="text/event-stream"))
    split = await collect(await client.responses.create(model=MODEL, input="hi", stream=True))
    assert [type(e) for e in split] == [type(e) for e in whole]
    assert [e.type for e in split] == [e.type for e in whole]


async def test_responses_a_malformed_known_event_is_a_decode_error(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    body = (
        b"event: response.output_text.delta\n"
        b'data: {"type":"response.output_text.delta","delta":5}\n\n'
    )
    server.script(MODEL, Reply(body=body, content_type="text/event-stream"))
    stream = await client.responses.create(model=MODEL, input="hi", stream=True)
    with pytest.raises(DecodeError) as caught:
        await collect(stream)
    assert caught.value.event_index == 1
    assert stream.closed


async def test_responses_break_releases_the_connection(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    stream = await client.responses.create(
        model=MODEL, input="hi", stream=True, headers={"x-test-token-delay": "0.01"}
    )
    async for event in stream:
        if isinstance(event, t.ResponseTextDeltaEvent):
            break
    await stream.aclose()
    await server.wait_connections(0)


async def test_responses_refuse_a_call_without_model_or_with_bad_input(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    with pytest.raises(InvalidInputError, match="model"):
        await client.responses.create(input="hi")
    with pytest.raises(InvalidInputError, match="input must be"):
        await client.responses.create(model=MODEL, input=42)  # type: ignore[call-overload]
    assert server.requests == []


# --- chat.completions.create and api_key ---------------------------------------------------------


async def test_chat_completions_create_returns_chat_completion_types(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    reply = await client.chat.completions.create(model=MODEL, messages=USER, max_tokens=8)
    direct = await client.chat_completion(USER, model=MODEL, max_tokens=8)
    assert isinstance(reply, t.ChatCompletionOutput)
    assert reply.choices[0].message.content == direct.choices[0].message.content
    assert server.requests[-1].json == server.requests[-2].json
    stream = await client.chat.completions.create(
        model=MODEL, messages=USER, max_tokens=8, stream=True
    )
    chunks = await collect(stream)
    assert all(isinstance(c, t.ChatCompletionStreamOutput) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == direct.choices[0].message.content


async def test_api_key_is_the_token_under_openais_name(server: LocalInferenceServer) -> None:
    async with AsyncInferenceClient(api_key="hf_key_abc", base_url=server.base_url) as client:
        await client.chat.completions.create(model=MODEL, messages=USER, max_tokens=2)
        assert "hf_key_abc" not in repr(client)
    assert server.requests[-1].headers["authorization"] == "Bearer hf_key_abc"
    with pytest.raises(InvalidInputError, match="not both"):
        AsyncInferenceClient("hf_a", api_key="hf_b")


# --- structured outputs --------------------------------------------------------------------------


async def test_response_format_struct_sends_its_schema_and_parses_the_reply(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    reply = await client.chat_completion(USER, model=MODEL, response_format=Country)
    assert isinstance(reply, t.ParsedChatCompletion)
    assert isinstance(reply.parsed, Country)
    assert isinstance(reply.parsed.capital, City)
    assert reply.choices[0].message.content == msgspec.json.encode(reply.parsed).decode()
    sent = server.requests[-1].json["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["name"] == "Country"
    assert sent["json_schema"]["strict"] is True
    assert sent["json_schema"]["schema"]["required"] == ["name", "capital", "cities"]
    assert "City" in sent["json_schema"]["schema"]["$defs"]


async def test_response_format_dataclass_and_typed_dict(client: AsyncInferenceClient) -> None:
    pair = await client.chat_completion(USER, model=MODEL, response_format=Pair)
    assert isinstance(pair.parsed, Pair)
    label = await client.chat.completions.create(model=MODEL, messages=USER, response_format=Label)
    assert set(label.parsed) == {"label", "score"}


async def test_response_format_mapping_passes_through_unchanged(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    fmt = {"type": "json_object"}
    reply = await client.chat_completion(USER, model=MODEL, response_format=fmt)
    assert type(reply) is t.ChatCompletionOutput
    assert server.requests[-1].json["response_format"] == fmt


async def test_reply_that_does_not_fit_is_a_decode_error_with_the_text(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    body = {
        "object": "chat.completion",
        "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": '{"name": 3}'}}],
    }
    server.script(MODEL, Reply(body=body))
    with pytest.raises(DecodeError, match="does not fit City") as caught:
        await client.chat_completion(USER, model=MODEL, response_format=City)
    assert caught.value.body == b'{"name": 3}'


async def test_response_format_of_a_non_type_is_refused(client: AsyncInferenceClient) -> None:
    with pytest.raises(InvalidInputError, match="response_format"):
        await client.chat_completion(USER, model=MODEL, response_format=3)  # type: ignore[call-overload]


async def test_streamed_structured_output_is_parsed_by_the_accumulator(
    client: AsyncInferenceClient,
) -> None:
    stream = client.chat_completion_stream(USER, model=MODEL, response_format=Country)
    parsed = await accumulate_chat_stream(stream, response_format=Country)
    assert isinstance(parsed.parsed, Country)
    assert parsed.choices[0].message.content == msgspec.json.encode(parsed.parsed).decode()


# --- the raw answer ------------------------------------------------------------------------------


async def test_with_raw_response_keeps_fields_beyond_the_typed_shape(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    body = {
        "object": "chat.completion",
        "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
        "time_info": {"queue_time": 0.0001, "total_time": 0.02},
    }
    server.script(MODEL, Reply(body=body, headers={"x-extra": "1"}))
    raw = await with_raw_response(client.chat_completion(USER, model=MODEL))
    assert isinstance(raw.parsed, t.ChatCompletionOutput)
    assert raw.parsed.choices[0].message.content == "hi"
    assert raw.json()["time_info"]["total_time"] == 0.02
    assert raw.content == msgspec.json.encode(body)
    assert raw.status == 200 and raw.headers["x-extra"] == "1"
    assert raw.request_id is not None and raw.request_id.startswith("local-")
    # Other tasks and the Responses API go through the same step.
    answer = await with_raw_response(client.responses.create(model=MODEL, input="hi"))
    assert answer.json()["object"] == "response"
    summary = await with_raw_response(
        client.summarization("A long text.", model="facebook/bart-large-cnn")
    )
    assert isinstance(summary.json(), list)
    # Calls not wrapped keep nothing.
    await client.chat_completion(USER, model=MODEL)


async def test_with_raw_response_refuses_streams(client: AsyncInferenceClient) -> None:
    with pytest.raises(InvalidInputError, match="streams"):
        await with_raw_response(client.chat_completion_stream(USER, model=MODEL))  # type: ignore[arg-type]


async def test_local_server_speaks_named_events_on_the_wire(server: LocalInferenceServer) -> None:
    import aiohttp

    body = {"model": MODEL, "input": "hi", "stream": True}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.url}/v1/responses", json=body) as response,
    ):
        assert response.headers["Content-Type"].startswith("text/event-stream")
        raw = await response.read()
    blocks = raw.decode().split("\n\n")
    assert blocks.pop() == ""
    for block in blocks:
        name_line, data_line = block.split("\n")
        name = name_line.removeprefix("event: ")
        assert msgspec.json.decode(data_line.removeprefix("data: "))["type"] == name
    assert blocks[0].startswith("event: response.created\n")
    assert blocks[-1].startswith("event: response.completed\n")
