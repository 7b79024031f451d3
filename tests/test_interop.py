"""Peer clients against the local server: huggingface_hub and openai get correct answers.

This is the proof that LocalInferenceServer speaks the real protocol and not only the dialect
our own client understands. Each answer is checked against our client's answer to the same
request (the server is deterministic) and for internal consistency (a stream spells out the
non-streamed text). Run with ``nox -s interop`` (CI runs it). Without the peer packages the
tests skip, except where ``HF_INFERENCE_INTEROP_REQUIRED=1`` (the nox session sets it): there a
missing peer fails, so CI cannot pass by skipping them all.
"""

from __future__ import annotations

import importlib
import io
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hf_inference import AsyncInferenceClient
from hf_inference.testing import LocalInferenceServer

pytestmark = [pytest.mark.interop, pytest.mark.anyio]

CHAT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather of a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
WEATHER = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def no_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A peer that reaches for a real host fails at once instead of using the network."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


def import_peer(module: str) -> Any:
    """Import a peer package: skip without it, fail without it where CI requires the peers."""
    if os.environ.get("HF_INFERENCE_INTEROP_REQUIRED") == "1":
        return importlib.import_module(module)
    return pytest.importorskip(module)


@pytest.fixture
def hub() -> Any:
    # Every peer client gets a base_url or an endpoint URL, so none of them asks the Hub
    # anything (HF_HUB_OFFLINE would refuse even 127.0.0.1 in huggingface_hub 1.x and later).
    return import_peer("huggingface_hub")


@pytest.fixture
def openai() -> Any:
    return import_peer("openai")


@pytest.fixture
async def ours(server: LocalInferenceServer) -> AsyncIterator[AsyncInferenceClient]:
    async with AsyncInferenceClient(False, base_url=server.base_url, max_retries=0) as client:
        yield client


def serverless(server: LocalInferenceServer, model: str) -> str:
    return f"{server.base_url}/models/{model}"


# -- huggingface_hub: text generation ---------------------------------------------------------


async def test_hub_text_generation(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    expected = await ours.text_generation(
        "The answer is", model="gpt2", parameters={"max_new_tokens": 12}
    )
    async with hub.AsyncInferenceClient(base_url=serverless(server, "gpt2"), token="x") as peer:
        text = await peer.text_generation("The answer is", max_new_tokens=12)
    assert text == expected.generated_text
    assert len(text.split()) >= 8


async def test_hub_text_generation_details(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    expected = await ours.text_generation(
        "The answer is", model="gpt2", parameters={"max_new_tokens": 6, "details": True, "seed": 7}
    )
    assert expected.details is not None
    async with hub.AsyncInferenceClient(base_url=serverless(server, "gpt2"), token="x") as peer:
        out = await peer.text_generation("The answer is", max_new_tokens=6, details=True, seed=7)
    assert out.generated_text == expected.generated_text
    assert out.details.finish_reason == expected.details.finish_reason == "length"
    assert out.details.generated_tokens == 6
    assert out.details.seed == expected.details.seed
    assert [t.text for t in out.details.tokens] == [t.text for t in expected.details.tokens]
    assert [t.id for t in out.details.tokens] == [t.id for t in expected.details.tokens]
    assert "".join(t.text for t in out.details.tokens) == out.generated_text


async def test_hub_text_generation_stream(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    params = {"max_new_tokens": 15}
    expected = [
        event.token.text
        async for event in ours.text_generation_stream("Once upon", model="gpt2", parameters=params)
    ]
    async with hub.AsyncInferenceClient(base_url=serverless(server, "gpt2"), token="x") as peer:
        tokens = [t async for t in await peer.text_generation("Once upon", stream=True, **params)]
        events = [
            e
            async for e in await peer.text_generation(
                "Once upon", stream=True, details=True, **params
            )
        ]
    assert tokens == expected
    assert [e.token.text for e in events] == expected
    assert events[-1].generated_text == "".join(expected)
    assert events[-1].details.finish_reason == "length"
    assert events[-1].details.generated_tokens == 15


async def test_hub_text_generation_on_a_dedicated_endpoint(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    endpoint = server.endpoint_url("my-tgi")
    expected = await ours.endpoint(endpoint).text_generation(
        "Hello", parameters={"max_new_tokens": 5}
    )
    async with hub.AsyncInferenceClient(model=endpoint, token="x") as peer:
        text = await peer.text_generation("Hello", max_new_tokens=5)
        streamed = [
            t async for t in await peer.text_generation("Hello", max_new_tokens=5, stream=True)
        ]
    assert text == expected.generated_text
    assert "".join(streamed) == text


# -- huggingface_hub: chat completion ---------------------------------------------------------


async def test_hub_chat_completion(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    expected = await ours.chat_completion(MESSAGES, model=CHAT_MODEL, max_tokens=12)
    async with hub.AsyncInferenceClient(base_url=serverless(server, CHAT_MODEL), token="x") as peer:
        out = await peer.chat_completion(MESSAGES, max_tokens=12)
    assert out.choices[0].message.role == "assistant"
    assert out.choices[0].message.content == expected.choices[0].message.content
    assert out.choices[0].finish_reason == expected.choices[0].finish_reason == "length"
    assert out.usage.completion_tokens == 12
    assert out.usage.total_tokens == out.usage.prompt_tokens + 12


async def test_hub_chat_completion_stream(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    endpoint = server.endpoint_url("tgi")
    expected = await ours.endpoint(endpoint).chat_completion(MESSAGES, max_tokens=10)
    async with hub.AsyncInferenceClient(model=endpoint, token="x") as peer:
        chunks = [c async for c in await peer.chat_completion(MESSAGES, max_tokens=10, stream=True)]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == expected.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "length"


async def test_hub_chat_completion_tools(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    expected = await ours.chat_completion(WEATHER, model=CHAT_MODEL, tools=TOOLS, max_tokens=100)
    expected_call = expected.choices[0].message.tool_calls[0]  # type: ignore[index]
    async with hub.AsyncInferenceClient(base_url=serverless(server, CHAT_MODEL), token="x") as peer:
        out = await peer.chat_completion(WEATHER, tools=TOOLS, tool_choice="auto", max_tokens=100)
        chunks = [
            c
            async for c in await peer.chat_completion(
                WEATHER, tools=TOOLS, tool_choice="auto", max_tokens=100, stream=True
            )
        ]
    call = out.choices[0].message.tool_calls[0]
    assert call.function.name == expected_call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == json.loads(expected_call.function.arguments)
    assert "city" in json.loads(call.function.arguments)
    # The streamed tool call spells out the same call, name first, then argument pieces.
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].function.name == "get_weather"
    arguments = "".join(d.function.arguments or "" for d in deltas)
    assert json.loads(arguments) == json.loads(call.function.arguments)


# -- huggingface_hub: other tasks -------------------------------------------------------------


async def test_hub_fill_mask(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    model = "bert-base-uncased"
    expected = await ours.fill_mask("Paris is the [MASK] of France.", model=model)
    async with hub.AsyncInferenceClient(base_url=serverless(server, model), token="x") as peer:
        out = await peer.fill_mask("Paris is the [MASK] of France.")
    assert [(o.token_str, o.sequence, o.token) for o in out] == [
        (e.token_str, e.sequence, e.token) for e in expected
    ]
    assert [o.score for o in out] == pytest.approx([e.score for e in expected])


async def test_hub_text_classification(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    model = "distilbert-base-uncased-finetuned-sst-2-english"
    expected = await ours.text_classification("I like you. I love you.", model=model)
    async with hub.AsyncInferenceClient(base_url=serverless(server, model), token="x") as peer:
        out = await peer.text_classification("I like you. I love you.")
    assert [o.label for o in out] == [e.label for e in expected]
    assert [o.score for o in out] == pytest.approx([e.score for e in expected])
    assert sum(o.score for o in out) == pytest.approx(1.0)


async def test_hub_feature_extraction(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    np = import_peer("numpy")
    model = "sentence-transformers/all-MiniLM-L6-v2"
    expected = await ours.feature_extraction("That is a happy person", model=model)
    async with hub.AsyncInferenceClient(base_url=serverless(server, model), token="x") as peer:
        out = await peer.feature_extraction("That is a happy person")
    assert np.asarray(out).squeeze().shape == (384,)
    assert np.allclose(np.asarray(out).squeeze(), np.asarray(expected, dtype="float32"))


async def test_hub_text_to_image(
    hub: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    image_module = import_peer("PIL.Image")
    model = "stabilityai/stable-diffusion-2"
    expected = await ours.text_to_image("an astronaut riding a horse", model=model)
    async with hub.AsyncInferenceClient(base_url=serverless(server, model), token="x") as peer:
        image = await peer.text_to_image("an astronaut riding a horse")
    with image_module.open(io.BytesIO(expected.data)) as ours_image:
        assert image.size == ours_image.size
        assert image.convert("RGB").tobytes() == ours_image.convert("RGB").tobytes()


# -- openai --------------------------------------------------------------------------------------


async def test_openai_chat_on_a_dedicated_endpoint(
    openai: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    endpoint = server.endpoint_url("tgi")
    expected = await ours.endpoint(endpoint).chat_completion(MESSAGES, max_tokens=12)
    async with openai.AsyncOpenAI(base_url=endpoint + "/v1", api_key="x", max_retries=0) as peer:
        out = await peer.chat.completions.create(model="tgi", messages=MESSAGES, max_tokens=12)
    assert out.choices[0].message.content == expected.choices[0].message.content
    assert out.choices[0].finish_reason == "length"
    assert out.usage.completion_tokens == 12


async def test_openai_chat_stream_with_usage(
    openai: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    base = serverless(server, CHAT_MODEL) + "/v1"
    expected = await ours.chat_completion(MESSAGES, model=CHAT_MODEL, max_tokens=10)
    async with openai.AsyncOpenAI(base_url=base, api_key="x", max_retries=0) as peer:
        stream = await peer.chat.completions.create(
            model=CHAT_MODEL,
            messages=MESSAGES,
            max_tokens=10,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == expected.choices[0].message.content
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 10


async def test_openai_chat_tools(
    openai: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    base = serverless(server, CHAT_MODEL) + "/v1"
    async with openai.AsyncOpenAI(base_url=base, api_key="x", max_retries=0) as peer:
        out = await peer.chat.completions.create(
            model=CHAT_MODEL, messages=WEATHER, tools=TOOLS, tool_choice="auto", max_tokens=100
        )
        stream = await peer.chat.completions.create(
            model=CHAT_MODEL,
            messages=WEATHER,
            tools=TOOLS,
            tool_choice="auto",
            max_tokens=100,
            stream=True,
        )
        chunks = [chunk async for chunk in stream]
    message = out.choices[0].message
    # TGI 3 ends a tool call with "stop" (OpenAI says "tool_calls"); the recordings agree.
    assert out.choices[0].finish_reason == "stop"
    assert message.tool_calls[0].type == "function"
    assert message.tool_calls[0].function.name == "get_weather"
    arguments = json.loads(message.tool_calls[0].function.arguments)
    assert set(arguments) == {"city"}
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].function.name == "get_weather"
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == arguments


async def test_openai_provider_routed_chat(
    openai: Any, server: LocalInferenceServer, ours: AsyncInferenceClient
) -> None:
    model = f"{CHAT_MODEL}:together"
    expected = await ours.chat_completion(MESSAGES, model=model, max_tokens=8)
    async with openai.AsyncOpenAI(base_url=server.router_url, api_key="x", max_retries=0) as peer:
        out = await peer.chat.completions.create(model=model, messages=MESSAGES, max_tokens=8)
    assert out.choices[0].message.content == expected.choices[0].message.content
    sent = server.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.json["model"] == model


async def test_openai_sees_an_error_status(openai: Any, server: LocalInferenceServer) -> None:
    base = serverless(server, "missing/chat-model") + "/v1"
    async with openai.AsyncOpenAI(base_url=base, api_key="x", max_retries=0) as peer:
        with pytest.raises(openai.NotFoundError) as caught:
            await peer.chat.completions.create(model="missing/chat-model", messages=MESSAGES)
    assert caught.value.status_code == 404
