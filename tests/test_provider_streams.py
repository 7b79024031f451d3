"""``text_generation_stream`` through Inference Providers whose text-generation route is
OpenAI-style completions: every such cell of the registry, as a method and as a module
function, against the local server's provider routes (real sockets, real SSE chunks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.lowlevel
import msgspec
import pytest
from test_providers import HF, hub_model, inference_requests, map_cell, provider_id

import hf_inference
from hf_inference import AsyncInferenceClient, InvalidInputError
from hf_inference import types as t
from hf_inference.providers import PROVIDERS, registry
from hf_inference.providers._base import Provider, Shape
from hf_inference.providers._completions import CompletionEvents
from hf_inference.testing import LocalInferenceServer

pytestmark = pytest.mark.anyio

#: Every provider whose text-generation goes through a provider shape (hf-inference streams
#: TGI's own events, tested in test_tasks.py).
STREAMED = sorted(
    name
    for name, row in PROVIDERS.items()
    if name != "hf-inference" and "text-generation" in row.tasks
)
PROMPT = "The answer is"
#: Tokens enough that the body is still arriving when the loop breaks (a body that has fully
#: arrived is released to the pool instead, by design).
LONG = 4000


@pytest.fixture
async def hub() -> AsyncIterator[LocalInferenceServer]:
    async with LocalInferenceServer() as server:
        yield server


@pytest.fixture
async def routed(hub: LocalInferenceServer) -> AsyncIterator[AsyncInferenceClient]:
    async with AsyncInferenceClient(HF, router_url=hub.url, hub_url=hub.url, max_retries=0) as c:
        yield c


def test_the_streamed_cells_are_the_completions_providers() -> None:
    assert STREAMED == ["deepinfra", "featherless-ai", "novita", "together"]
    assert all(PROVIDERS[name].tasks["text-generation"].streams for name in STREAMED)


def check_events(events: list[t.TextGenerationStreamOutput], full: t.TextGenerationOutput) -> None:
    assert len(events) > 2
    assert "".join(e.token.text for e in events) == full.generated_text
    assert [e.index for e in events] == list(range(1, len(events) + 1))
    assert all(e.generated_text is None and e.details is None for e in events[:-1])
    last = events[-1]
    assert last.generated_text == full.generated_text
    assert last.details is not None and full.details is not None
    assert last.details.finish_reason == full.details.finish_reason
    assert last.details.generated_tokens == len(events) == full.details.generated_tokens


@pytest.mark.parametrize("provider", STREAMED)
@pytest.mark.parametrize(
    ("parameters", "finish_reason"),
    [
        ({"max_new_tokens": 6, "seed": 7}, "length"),
        ({"seed": 7}, "eos_token"),
    ],
)
async def test_every_completions_provider_streams_as_a_method(
    hub: LocalInferenceServer,
    routed: AsyncInferenceClient,
    provider: str,
    parameters: dict[str, Any],
    finish_reason: str,
) -> None:
    model = map_cell(hub, provider, "text-generation")
    full = await routed.text_generation(PROMPT, model=model, parameters=parameters)
    stream = routed.text_generation_stream(PROMPT, model=model, parameters=parameters)
    events = [event async for event in stream]
    check_events(events, full)
    assert full.details is not None and full.details.finish_reason == finish_reason
    assert stream.closed
    sent = inference_requests(hub)[-1]
    assert sent.path.startswith(f"/{provider}/") and sent.path.endswith("/completions")
    assert sent.json["stream"] is True and sent.json["model"] == provider_id(
        provider, "text-generation"
    )
    assert sent.headers["authorization"] == f"Bearer {HF}"


@pytest.mark.parametrize("provider", STREAMED)
async def test_every_completions_provider_streams_as_a_module_function(
    hub: LocalInferenceServer, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", HF)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_INFERENCE_ROUTER_URL", hub.url)
    model = map_cell(hub, provider, "text-generation")
    parameters = {"max_new_tokens": 5, "seed": 3}
    try:
        full = await hf_inference.text_generation(PROMPT, model=model, parameters=parameters)
        stream = hf_inference.text_generation_stream(PROMPT, model=model, parameters=parameters)
        events = [event async for event in stream]
    finally:
        await hf_inference.aclose_default_client()
    check_events(events, full)
    assert all(r.path.startswith(f"/{provider}/") for r in inference_requests(hub))


async def test_a_stop_string_is_a_stop_sequence_and_is_left_out(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    model = map_cell(hub, "together", "text-generation")
    plain = await routed.text_generation(PROMPT, model=model, parameters={"seed": 1})
    word = plain.generated_text.split()[2]
    parameters = {"seed": 1, "stop": [word]}
    full = await routed.text_generation(PROMPT, model=model, parameters=parameters)
    events = [
        e async for e in routed.text_generation_stream(PROMPT, model=model, parameters=parameters)
    ]
    assert full.generated_text == plain.generated_text[: plain.generated_text.index(word)]
    assert events[-1].generated_text == full.generated_text
    assert events[-1].details is not None and events[-1].details.finish_reason == "stop_sequence"
    assert full.details is not None and full.details.finish_reason == "stop_sequence"


async def test_the_usage_chunk_after_the_last_choice_is_skipped(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    model = map_cell(hub, "deepinfra", "text-generation")
    parameters = {"max_new_tokens": 4}
    full = await routed.text_generation(PROMPT, model=model, parameters=parameters)
    stream = routed.text_generation_stream(
        PROMPT,
        model=model,
        parameters=parameters,
        extra_body={"stream_options": {"include_usage": True}},
    )
    events = [e async for e in stream]
    assert inference_requests(hub)[-1].json["stream_options"] == {"include_usage": True}
    check_events(events, full)


@pytest.fixture
async def router() -> AsyncIterator[LocalInferenceServer]:
    """A router of its own: its connections are the streams' alone (the Hub lookups go to
    ``hub``), so ``open_connections`` counts exactly the stream's connection."""
    async with LocalInferenceServer() as server:
        yield server


@pytest.mark.parametrize("provider", STREAMED)
async def test_break_after_two_tokens_releases_the_connection(
    hub: LocalInferenceServer, router: LocalInferenceServer, provider: str
) -> None:
    model = map_cell(hub, provider, "text-generation")
    seen = []
    async with AsyncInferenceClient(HF, router_url=router.url, hub_url=hub.url) as client:
        async for event in client.text_generation_stream(
            PROMPT, model=model, parameters={"max_new_tokens": LONG}
        ):
            seen.append(event)
            assert router.open_connections == 1
            if len(seen) == 2:
                break
        await router.wait_connections(0)
    (sent,) = router.requests
    assert sent.path.startswith(f"/{provider}/") and sent.path.endswith("/completions")


async def test_aclose_mid_stream_releases_the_connection(
    hub: LocalInferenceServer, router: LocalInferenceServer
) -> None:
    model = map_cell(hub, "novita", "text-generation")
    async with AsyncInferenceClient(HF, router_url=router.url, hub_url=hub.url) as client:
        stream = client.text_generation_stream(
            PROMPT, model=model, parameters={"max_new_tokens": LONG}
        )
        async with stream:
            first = await stream.__anext__()
            assert first.token.text and router.open_connections == 1
        assert stream.closed
        await router.wait_connections(0)


async def test_cancelling_the_consumer_releases_the_connection(
    hub: LocalInferenceServer, router: LocalInferenceServer
) -> None:
    model = map_cell(hub, "together", "text-generation")
    seen = 0
    async with AsyncInferenceClient(HF, router_url=router.url, hub_url=hub.url) as client:
        with anyio.CancelScope() as scope:
            async with client.text_generation_stream(
                PROMPT, model=model, parameters={"max_new_tokens": LONG}
            ) as stream:
                async for _ in stream:
                    seen += 1
                    scope.cancel()
                    await anyio.lowlevel.checkpoint()  # the consumer's await: cancelled here
        assert scope.cancelled_caught and seen == 1 and stream.closed
        await router.wait_connections(0)


async def test_a_provider_error_answer_is_typed_and_releases_the_connection(
    hub: LocalInferenceServer, router: LocalInferenceServer
) -> None:
    model = map_cell(hub, "featherless-ai", "text-generation")
    async with AsyncInferenceClient(HF, router_url=router.url, hub_url=hub.url) as client:
        stream = client.text_generation_stream(PROMPT, model=model, extra_body={"prompt": 5})
        with pytest.raises(hf_inference.HfInferenceError, match="prompt") as caught:
            async for _ in stream:
                pass
        assert caught.value.status == 422
        # The error body was read to its end: the connection went back to the pool.
        again = await client.text_generation(PROMPT, model=model)
    assert again.generated_text and router.total_connections == 1


def test_the_completions_decoder_maps_finish_reasons_and_rejects_error_payloads() -> None:
    events = CompletionEvents()
    head = b'{"id":"c","object":"text_completion","choices":'
    first = events.decode(head + b'[{"text":"Hi","index":0,"finish_reason":null}]}')
    assert first.token.text == "Hi" and first.generated_text is None
    last = events.decode(
        head + b'[{"text":"!","index":0,"finish_reason":"stop"}],"usage":{"completion_tokens":9}}'
    )
    assert last.generated_text == "Hi!"
    assert last.details is not None
    assert (last.details.finish_reason, last.details.generated_tokens) == ("eos_token", 9)
    with pytest.raises(TypeError):  # a usage-only chunk: skipped by the stream
        events.decode(head + b'[],"usage":{"completion_tokens":9}}')
    with pytest.raises(msgspec.ValidationError):
        events.decode(b'{"error":{"message":"overloaded"}}')


async def test_a_provider_route_that_cannot_stream_is_refused_before_any_request(
    hub: LocalInferenceServer, routed: AsyncInferenceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A provider row whose text-generation route has no streamed form (none in the registry
    # today: every provider text-generation route is OpenAI completions).
    shape = Shape("text-generation", "/generate")
    row = Provider("featherless-ai", "https://example.invalid", {"text-generation": shape})
    monkeypatch.setitem(registry(), "featherless-ai", row)  # type: ignore[index]
    model = map_cell(hub, "featherless-ai", "text-generation")
    with pytest.raises(InvalidInputError, match="does not stream text-generation"):
        async for _ in routed.text_generation_stream("hi", model=model):
            pass
    assert inference_requests(hub) == []
    assert hub_model("featherless-ai", "text-generation") == model


async def test_a_provider_stream_is_not_bound_by_the_job_deadline(
    hub: LocalInferenceServer, router: LocalInferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jobs get a default total deadline; a token stream gets only the caller's own. With the
    # job default at (almost) nothing, a stream that inherited it would time out at once.
    monkeypatch.setattr("hf_inference._exchange.DEFAULT_JOB_TIMEOUT", 0.0)
    model = map_cell(hub, "together", "text-generation")
    chat_model = map_cell(hub, "together", "conversational")
    async with AsyncInferenceClient(HF, router_url=router.url, hub_url=hub.url) as client:
        tokens = [
            event
            async for event in client.text_generation_stream(
                PROMPT, model=model, parameters={"max_new_tokens": 8}, provider="together"
            )
        ]
        chunks = [
            chunk
            async for chunk in client.chat_completion_stream(
                [{"role": "user", "content": "Hi"}], model=chat_model, provider="together"
            )
        ]
    assert len(tokens) == 8
    assert tokens[-1].details is not None and tokens[-1].details.finish_reason == "length"
    assert chunks and chunks[-1].choices[0].finish_reason is not None
