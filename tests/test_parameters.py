"""Typed task parameters: one TypedDict per table row, taken as ``parameters=`` and as keywords.

The two forms must put the same bytes on the wire; a keyword that is neither a parameter of the
task nor a per-call option fails before any socket, naming the closest valid one; a key the
specification does not name still goes through inside ``parameters=``.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
from test_tasks import PNG, SAMPLES, model_for

import hf_inference
from hf_inference import (
    AsyncInferenceClient,
    AsyncStream,
    DecodeError,
    HfInferenceError,
    InvalidInputError,
    _params,
    _tasks,
)
from hf_inference import types as t
from hf_inference.sync import InferenceClient
from hf_inference.testing import LocalInferenceServer, Reply

pytestmark = pytest.mark.anyio

#: Method name -> row, once per method (a stream row shares its task's TypedDict).
ROWS = dict(_tasks.TASKS)
CHAT = {"chat_completion", "chat_completion_stream"}
INPUTS: dict[str, Any] = {
    **{name: sample[0] for name, sample in SAMPLES.items()},
    "text_generation_stream": "The answer is",
    "text_to_video": "a cat on a skateboard",
    "image_to_video": PNG,
}
PACED = {"x-test-token-delay": "0.01"}  # the server paces the stream: it is still open
#: Sent by the method itself, not a parameter (named keywords beside ``**kwargs``).
NAMED = {"model", "parameters", "stream", "response_format"}


def test_every_task_row_names_its_parameters_typeddict() -> None:
    typed = {
        name: spec.parameters for name, spec in ROWS.items() if typing.is_typeddict(spec.parameters)
    }
    assert set(typed) == set(ROWS)  # all of them: 32 rows, 30 distinct task methods
    for name, spec in ROWS.items():
        assert spec.parameter_names == _params.parameter_names(spec.parameters), name
        if name not in CHAT:  # chat's keywords include the call options (its historic type)
            assert not spec.parameter_names & _params.CALL_OPTION_NAMES, name


def _keywords_type(method: Any) -> Any:
    kwargs = next(
        p for p in inspect.signature(method).parameters.values() if p.kind is p.VAR_KEYWORD
    )
    annotation = str(kwargs.annotation)
    assert annotation.startswith("Unpack[") and annotation.endswith("]"), annotation
    name = annotation[len("Unpack[") : -1].removeprefix("kw.")
    return getattr(_params, name)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_method_keywords_follow_the_table(name: str) -> None:
    spec = ROWS[name]
    method = getattr(AsyncInferenceClient, name)
    signature = inspect.signature(method)
    named = {p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY} - NAMED
    keywords = _params.parameter_names(_keywords_type(method)) | named
    assert keywords == spec.parameter_names | _params.CALL_OPTION_NAMES
    if name not in CHAT:
        assert str(signature.parameters["parameters"].annotation) == (
            f"p.{spec.parameters.__name__} | None"
        )
    # The module function and the sync facade are the method (same signature, same body).
    assert inspect.signature(getattr(hf_inference, name)) == signature
    assert getattr(InferenceClient, name)._method is method


def sample_value(annotation: Any) -> Any:
    """A value of the annotated wire type (the first choice of a Literal)."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return typing.get_args(annotation)[0]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return sample_value(typing.get_args(annotation)[0])
    if typing.is_typeddict(annotation):
        return {k: sample_value(v) for k, v in typing.get_type_hints(annotation).items()}
    if origin in (Sequence, list):
        return [sample_value(typing.get_args(annotation)[0])]
    if origin is Mapping or annotation is Any:
        return {"key": 1}
    return {bool: True, int: 3, float: 0.5, str: "x"}[annotation]


def every_parameter(spec: _tasks.TaskSpec[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(spec.parameters)
    return {name: sample_value(hints[name]) for name in sorted(spec.parameter_names)}


async def _sent_body(call: Any, server: LocalInferenceServer) -> Any:
    server.requests.clear()
    try:
        result = call()
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, AsyncStream):
            async with result:
                async for _ in result:
                    pass
    except HfInferenceError:
        pass  # a value the local model dislikes: what was sent is what this test compares
    (request,) = server.requests
    return request.json


@pytest.mark.parametrize("name", sorted(set(ROWS) - CHAT))
async def test_keywords_and_parameters_send_the_same_body(
    client: AsyncInferenceClient, server: LocalInferenceServer, name: str
) -> None:
    spec = ROWS[name]
    method = getattr(client, name)
    given = every_parameter(spec)
    model = model_for(name) if name != "conversational" else "gpt2"
    inputs = INPUTS[name]

    def as_keywords() -> Any:
        return method(inputs, model=model, max_retries=0, **given)

    def as_parameters() -> Any:
        return method(inputs, model=model, max_retries=0, parameters=given)

    keyword_body = await _sent_body(as_keywords, server)
    assert keyword_body == await _sent_body(as_parameters, server)
    if not given:
        return
    if name == "conversational":  # served over chat: the chat names of the same settings
        assert keyword_body["max_tokens"] == given["max_length"]
        assert keyword_body["temperature"] == given["temperature"]
    elif spec.parameters_at_top:
        assert {k: keyword_body[k] for k in given} == given
        assert "parameters" not in keyword_body
    else:
        assert keyword_body["parameters"] == given


async def test_feature_extraction_parameters_sit_beside_inputs(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    await client.feature_extraction("hi", model="sentence-transformers/x", normalize=True)
    assert server.requests[-1].json == {"inputs": "hi", "normalize": True}


async def test_a_key_the_specification_does_not_name_passes_through_in_parameters(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    custom: Any = {"max_new_tokens": 2, "my_model_knob": [1, 2]}
    await client.text_generation("hi", model="gpt2", parameters=custom, temperature=0.1)
    assert server.requests[-1].json["parameters"] == {
        "max_new_tokens": 2,
        "my_model_knob": [1, 2],
        "temperature": 0.1,
    }


UNKNOWN = [
    pytest.param("text_generation", "max_new_token", "max_new_tokens", id="text_generation"),
    pytest.param(
        "text_generation_stream", "max_new_token", "max_new_tokens", id="text_generation_stream"
    ),
    pytest.param("text_classification", "topk", "top_k", id="text_classification"),
    pytest.param("text_to_image", "num_inference_step", "num_inference_steps", id="text_to_image"),
    pytest.param("fill_mask", "timeoutt", "timeout", id="an_option"),
    pytest.param("chat_completion", "max_token", "max_tokens", id="chat_completion"),
    pytest.param("chat_completion_stream", "max_token", "max_tokens", id="chat_stream"),
]


@pytest.mark.parametrize(("name", "wrong", "right"), UNKNOWN)
async def test_an_unknown_keyword_names_the_closest_and_sends_nothing(
    client: AsyncInferenceClient,
    server: LocalInferenceServer,
    name: str,
    wrong: str,
    right: str,
) -> None:
    inputs = [{"role": "user", "content": "hi"}] if name in CHAT else INPUTS.get(name, "hi")
    with pytest.raises(InvalidInputError) as caught:
        # A stream method refuses at the call, before anything is iterated.
        result = getattr(client, name)(inputs, model="gpt2", **{wrong: 5})
        if inspect.isawaitable(result):
            await result
    message = str(caught.value)
    assert f"unknown keyword argument {wrong!r}" in message
    assert f"did you mean {right!r}?" in message
    assert server.requests == [] and server.open_connections == 0


async def test_raw_requests_refuse_a_keyword_that_is_not_an_option(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    with pytest.raises(InvalidInputError, match="unknown keyword argument 'max_new_tokens'"):
        await client.request("hi", model="gpt2", max_new_tokens=5)  # type: ignore[call-overload]
    stream = client.streaming_request("hi", model="gpt2", max_new_tokens=5)  # type: ignore[call-arg]
    with pytest.raises(InvalidInputError, match="inside parameters="):
        async with stream:
            pass
    assert server.requests == [] and server.open_connections == 0


async def test_module_functions_take_and_check_keywords(
    server: LocalInferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_INFERENCE_BASE_URL", server.base_url)
    try:
        await hf_inference.text_generation("hi", model="gpt2", max_new_tokens=2, seed=7)
        assert server.requests[-1].json["parameters"] == {"max_new_tokens": 2, "seed": 7}
        with pytest.raises(InvalidInputError, match="did you mean 'seed'"):
            await hf_inference.text_generation("hi", model="gpt2", sed=7)  # type: ignore[call-overload]
    finally:
        await hf_inference.aclose_default_client()
    assert len(server.requests) == 1


async def test_a_parameter_given_twice_is_refused(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    with pytest.raises(InvalidInputError, match="'seed' given twice"):
        await client.text_generation("hi", model="gpt2", parameters={"seed": 1}, seed=2)
    with pytest.raises(InvalidInputError, match="details=True as a keyword"):
        await client.text_generation(
            "hi", model="gpt2", parameters={"details": False}, details=True
        )
    assert server.requests == []


async def test_details_true_returns_the_details_typed(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    reply = await client.text_generation("The answer is", model="gpt2", details=True, seed=1)
    assert isinstance(reply, t.DetailedTextGenerationOutput)
    assert reply.details.generated_tokens == len(reply.details.tokens) > 0
    assert server.requests[-1].json["parameters"] == {"details": True, "seed": 1}


async def test_details_true_without_details_in_the_answer_is_a_decode_error(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    server.script("gpt2", Reply(body=[{"generated_text": " forty-two"}]))
    with pytest.raises(DecodeError, match="details") as caught:
        await client.text_generation("The answer is", model="gpt2", details=True)
    assert b"forty-two" in (caught.value.body or b"")


async def test_stream_true_is_the_stream_method(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    stream = await client.text_generation("The answer is", model="gpt2", stream=True, seed=3)
    assert isinstance(stream, AsyncStream)
    via_keyword = [event async for event in stream]
    via_method = [
        event
        async for event in client.text_generation_stream("The answer is", model="gpt2", seed=3)
    ]
    assert via_keyword == via_method and via_keyword[-1].generated_text
    first, second = (r.json for r in server.requests)
    assert first == second == {"inputs": "The answer is", "parameters": {"seed": 3}, "stream": True}


async def test_stream_true_with_details_puts_them_on_the_last_event(
    client: AsyncInferenceClient,
) -> None:
    stream = await client.text_generation("hi", model="gpt2", stream=True, details=True)
    events = [event async for event in stream]
    assert events[-1].details is not None and events[-1].details.finish_reason
    assert all(event.details is None for event in events[:-1])


async def test_chat_completion_stream_true_streams_and_a_break_releases_the_connection(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    messages = [{"role": "user", "content": "Tell me a story"}]
    stream = await client.chat_completion(
        messages, model="gpt2", stream=True, max_tokens=40, headers=PACED
    )
    assert isinstance(stream, AsyncStream)
    async with stream:
        async for chunk in stream:
            assert isinstance(chunk, t.ChatCompletionStreamOutput)
            break
    await server.wait_connections(0)
    assert server.requests[-1].json["stream"] is True


TABLE_MARK = "<!-- parameters-table: generated from hf_inference._tasks.TASKS"


def parameters_table() -> str:
    """The docs/tasks.md table of each method's parameters type, as the task table says."""
    rows = ["| Method | Parameters type | Its keys |", "|---|---|---|"]
    for name, spec in _tasks.TASKS.items():
        keys = sorted(spec.parameter_names - _params.CALL_OPTION_NAMES)
        typename = spec.parameters.__name__
        where = "hf_inference" if name in CHAT else "hf_inference.types"
        listed = ", ".join(f"`{key}`" for key in keys) or "(none named)"
        rows.append(f"| `{name}` | [`{typename}`][{where}.{typename}] | {listed} |")
    return "\n".join(rows) + "\n"


def test_the_docs_table_is_the_task_table() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "tasks.md").read_text()
    _, mark, after = page.partition(TABLE_MARK)
    assert mark, "docs/tasks.md lost its parameters table"
    table = after.split("\n", 1)[1].split("\n\n", 1)[0] + "\n"
    assert table == parameters_table(), "regenerate: python tests/test_parameters.py"


if __name__ == "__main__":
    print(parameters_table(), end="")
