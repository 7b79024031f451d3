"""Inference Providers from the client's side, against the local server's Hub, router and
provider hosts: every provider x task of the registry (as a method and as a module function),
the auto policy, the mapping cache, typed errors before any inference request, credentials
per host, and jobs (progress, failure, deadline, cancel, media faults)."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
import pytest
from test_tasks import PNG, WAV

import hf_inference
from hf_inference import (
    AsyncInferenceClient,
    BinaryOutput,
    InferenceTimeoutError,
    JobError,
    JobProgress,
    NoProviderError,
    NotFoundError,
    ProviderTaskError,
    Timeout,
    UnknownProviderError,
)
from hf_inference import types as t
from hf_inference.providers import PROVIDERS
from hf_inference.testing import LocalInferenceServer
from hf_inference.testing._faults import Reply
from hf_inference.testing._providers import Done, Failed, Queued, Running

pytestmark = pytest.mark.anyio

HF = "hf_provider_test_token"
KEY = "provider-own-key-123"
CHAT = [{"role": "user", "content": "Hello"}]

#: Hub task -> (method, inputs, parameters, result type).
CALLS: dict[str, tuple[str, Any, dict[str, Any] | None, Any]] = {
    "conversational": ("chat_completion", CHAT, None, t.ChatCompletionOutput),
    "text-generation": ("text_generation", "The answer is", None, t.TextGenerationOutput),
    "feature-extraction": ("feature_extraction", "Today is a sunny day", None, list),
    "text-to-image": ("text_to_image", "a cat", None, BinaryOutput),
    "image-to-image": ("image_to_image", PNG, {"prompt": "make it blue"}, BinaryOutput),
    "text-to-speech": ("text_to_speech", "Hello world", None, BinaryOutput),
    "automatic-speech-recognition": (
        "automatic_speech_recognition",
        WAV,
        None,
        t.AutomaticSpeechRecognitionOutput,
    ),
    "text-to-video": ("text_to_video", "a cat running", None, BinaryOutput),
    "image-to-video": ("image_to_video", PNG, None, BinaryOutput),
    "image-segmentation": ("image_segmentation", PNG, None, list),
}

#: Every routed (provider, task) cell of the registry; hf-inference runs in test_tasks.py and
#: openai (direct-only) below.
CELLS = sorted(
    (name, task)
    for name, row in PROVIDERS.items()
    if name not in ("hf-inference", "openai")
    for task in row.tasks
)


def provider_id(provider: str, task: str) -> str:
    if provider == "fal-ai":
        return f"fal-ai/{task}-app"
    return f"{provider}-org/{task}-model"


def hub_model(provider: str, task: str) -> str:
    return f"cells/{provider}-{task}"


def map_cell(server: LocalInferenceServer, provider: str, task: str) -> str:
    model = hub_model(provider, task)
    entry = {"provider": provider, "providerId": provider_id(provider, task), "task": task}
    server.map_model(model, [entry])
    return model


@pytest.fixture
async def hub() -> AsyncIterator[LocalInferenceServer]:
    async with LocalInferenceServer() as server:
        yield server


@pytest.fixture
async def routed(hub: LocalInferenceServer) -> AsyncIterator[AsyncInferenceClient]:
    async with AsyncInferenceClient(HF, router_url=hub.url, hub_url=hub.url, max_retries=0) as c:
        yield c


def check(result: Any, expected: Any) -> None:
    assert isinstance(result, expected), (type(result), expected)
    if isinstance(result, BinaryOutput):
        assert result.data and result.content_type != "application/json"


def inference_requests(server: LocalInferenceServer) -> list[Any]:
    return [r for r in server.requests if not r.path.startswith(("/api/models/", "/_media/"))]


def test_every_registry_cell_has_a_call_here() -> None:
    tasks = {task for row in PROVIDERS.values() for task in row.tasks}
    assert tasks - set(CALLS) <= set(PROVIDERS["hf-inference"].tasks)
    assert len(PROVIDERS) == 19


@pytest.mark.parametrize(("provider", "task"), CELLS)
async def test_every_provider_task_as_a_method(
    hub: LocalInferenceServer, routed: AsyncInferenceClient, provider: str, task: str
) -> None:
    model = map_cell(hub, provider, task)
    method, inputs, parameters, expected = CALLS[task]
    if method == "chat_completion":
        result = await routed.chat_completion(inputs, model=model, provider=provider)
    else:
        result = await getattr(routed, method)(inputs, model=model, parameters=parameters)
    check(result, expected)
    sent = inference_requests(hub)
    assert sent and all(r.path.startswith(f"/{provider}/") for r in sent)
    assert {r.headers.get("authorization") for r in sent} == {f"Bearer {HF}"}


@pytest.mark.parametrize(("provider", "task"), CELLS)
async def test_every_provider_task_as_a_module_function(
    hub: LocalInferenceServer, provider: str, task: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", HF)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_INFERENCE_ROUTER_URL", hub.url)
    model = map_cell(hub, provider, task)
    method, inputs, parameters, expected = CALLS[task]
    try:
        if method == "chat_completion":
            result = await hf_inference.chat_completion(inputs, model=model, provider=provider)
        else:
            function = getattr(hf_inference, method)
            result = await function(inputs, model=model, parameters=parameters)
        check(result, expected)
    finally:
        await hf_inference.aclose_default_client()
    assert all(r.path.startswith(f"/{provider}/") for r in inference_requests(hub))


async def test_openai_goes_direct_with_its_own_key_and_its_own_model_ids() -> None:
    async with (
        LocalInferenceServer(as_provider="openai") as host,
        AsyncInferenceClient(KEY, provider="openai", provider_urls={"openai": host.url}) as c,
    ):
        reply = await c.chat_completion(CHAT, model="gpt-4o-mini")
    assert reply.choices[0].message.content
    (request,) = host.requests
    assert request.path == "/v1/chat/completions"
    assert request.json["model"] == "gpt-4o-mini"
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_openai_refuses_a_hugging_face_token(routed: AsyncInferenceClient) -> None:
    with pytest.raises(hf_inference.InvalidInputError, match="API key"):
        await routed.chat_completion(CHAT, model="gpt-4o-mini", provider="openai")


# -- auto ------------------------------------------------------------------------------------


async def test_auto_skips_providers_without_the_task_and_staging_ones(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    hub.map_model(
        "org/flux",
        [
            {"provider": "groq", "providerId": "flux-chat", "task": "conversational"},
            {
                "provider": "nscale",
                "providerId": "flux",
                "task": "text-to-image",
                "status": "staging",
            },
            {"provider": "together", "providerId": "org/FLUX", "task": "text-to-image"},
            {"provider": "fal-ai", "providerId": "fal-ai/flux", "task": "text-to-image"},
        ],
    )
    await routed.text_to_image("a cat", model="org/flux")
    (sent,) = inference_requests(hub)
    assert sent.path == "/together/v1/images/generations"
    assert sent.json["model"] == "org/FLUX"


async def test_auto_reads_the_legacy_dict_form(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    hub.map_model(
        "org/legacy",
        [
            {"provider": "replicate", "providerId": "owner/tts", "task": "text-to-speech"},
            {"provider": "fal-ai", "providerId": "fal-ai/tts", "task": "text-to-speech"},
        ],
        legacy_dict=True,
    )
    await routed.text_to_speech("hi", model="org/legacy")
    assert inference_requests(hub)[0].path.startswith("/replicate/")


async def test_auto_chat_uses_the_router_and_asks_no_hub(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    await routed.chat_completion(CHAT, model="meta-llama/Llama-3.1-8B-Instruct")
    (sent,) = hub.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.json["model"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert not hub.hub_lookups


async def test_explicit_hf_inference_keeps_its_own_routes(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    model = "meta-llama/Llama-3.1-8B-Instruct"
    await routed.chat_completion(CHAT, model=model, provider="hf-inference")
    await routed.text_classification(
        "I like you",
        model="distilbert-base-uncased-finetuned-sst-2-english",
        provider="hf-inference",
    )
    paths = [r.path for r in hub.requests]
    assert paths == [
        f"/hf-inference/models/{model}/v1/chat/completions",
        "/hf-inference/models/distilbert-base-uncased-finetuned-sst-2-english",
    ]
    assert not hub.hub_lookups


async def test_explicit_hf_inference_beside_a_base_url_keeps_that_base(
    hub: LocalInferenceServer,
) -> None:
    # The chosen base URL is where hf-inference lives for this client: naming the provider
    # must not send the call to the router's hf-inference route instead.
    model = "meta-llama/Llama-3.1-8B-Instruct"
    async with LocalInferenceServer() as base:
        async with AsyncInferenceClient(
            HF, base_url=base.base_url, router_url=hub.url, hub_url=hub.url
        ) as c:
            await c.chat_completion(CHAT, model=model, provider="hf-inference")
            await c.text_classification("I like you", model="org/sst2", provider="hf-inference")
        assert [r.path for r in base.requests] == [
            f"/hf-inference/models/{model}/v1/chat/completions",
            "/hf-inference/models/org/sst2",
        ]
    assert hub.requests == []


async def test_urls_endpoints_and_base_url_never_ask_the_hub(hub: LocalInferenceServer) -> None:
    async with AsyncInferenceClient(HF, base_url=hub.base_url, hub_url=hub.url) as c:
        await c.text_to_image("a cat", model="black-forest-labs/FLUX.1-schnell")
        await c.text_generation("hi", model=f"{hub.base_url}/models/gpt2")
        await c.endpoint(hub.endpoint_url("tgi")).text_generation("hi")
    assert not hub.hub_lookups


async def test_a_base_url_from_the_environment_is_chosen_like_the_argument(
    hub: LocalInferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_INFERENCE_BASE_URL", hub.base_url)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    async with AsyncInferenceClient(HF) as c:
        await c.text_to_image("a cat", model="black-forest-labs/FLUX.1-schnell")
    assert not hub.hub_lookups
    assert hub.requests[-1].path == "/hf-inference/models/black-forest-labs/FLUX.1-schnell"


async def test_a_provider_named_beside_a_base_url_is_routed_not_ignored(
    hub: LocalInferenceServer,
) -> None:
    model = map_cell(hub, "together", "text-to-image")
    async with AsyncInferenceClient(HF, base_url=hub.base_url, hub_url=hub.url) as c:
        image = await c.text_to_image("a cat", model=model, provider="together")
    check(image, BinaryOutput)
    assert hub.hub_lookups[model] == 1
    assert inference_requests(hub)[-1].path == "/together/v1/images/generations"


async def test_concurrent_calls_for_one_uncached_model_share_one_lookup(
    hub: LocalInferenceServer,
) -> None:
    model = map_cell(hub, "together", "text-to-image")
    client = AsyncInferenceClient(HF, router_url=hub.url, hub_url=hub.url, model=model)
    async with client, anyio.create_task_group() as group:
        for _ in range(100):
            group.start_soon(client.text_to_image, "a cat")
    assert hub.hub_lookups[model] == 1
    assert len(inference_requests(hub)) == 100


async def test_a_failed_lookup_is_not_cached(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    with pytest.raises(NotFoundError, match="not found on the Hub"):
        await routed.text_to_image("a cat", model="org/not-yet")
    hub.map_model(
        "org/not-yet", [{"provider": "nscale", "providerId": "x", "task": "text-to-image"}]
    )
    await routed.text_to_image("a cat", model="org/not-yet")
    await routed.text_to_image("a cat", model="org/not-yet")
    assert hub.hub_lookups["org/not-yet"] == 2


# -- typed errors, before any inference request ----------------------------------------------


async def test_no_provider_for_the_task_names_what_the_hub_knows(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    hub.map_model(
        "org/chat-only",
        [{"provider": "groq", "providerId": "chat", "task": "conversational"}],
    )
    with pytest.raises(NoProviderError) as info:
        await routed.text_to_image("a cat", model="org/chat-only")
    assert "groq (conversational, live)" in str(info.value)
    assert info.value.task == "text-to-image"
    assert inference_requests(hub) == []


async def test_unknown_provider_lists_the_known_ones(routed: AsyncInferenceClient) -> None:
    with pytest.raises(UnknownProviderError) as info:
        await routed.text_to_image("a cat", model="org/x", provider="sambanova")
    assert "fal-ai" in str(info.value) and "auto" in str(info.value)
    with pytest.raises(UnknownProviderError):
        AsyncInferenceClient(HF, provider="black-forest-labs")


async def test_a_provider_without_the_task_names_the_ones_with_it(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    with pytest.raises(ProviderTaskError) as info:
        await routed.text_to_video("a cat", model="org/x", provider="groq")
    assert set(info.value.providers) == {"fal-ai", "novita", "replicate", "together", "wavespeed"}
    hub.map_model(
        "org/tti", [{"provider": "fal-ai", "providerId": "fal-ai/x", "task": "text-to-image"}]
    )
    with pytest.raises(ProviderTaskError, match="does not serve org/tti"):
        await routed.text_to_image("a cat", model="org/tti", provider="together")
    with pytest.raises(ProviderTaskError, match="for text-to-image, not text-to-video"):
        await routed.text_to_video("a cat", model="org/tti", provider="fal-ai")
    assert inference_requests(hub) == []


# -- credentials -----------------------------------------------------------------------------


async def test_hf_token_goes_to_the_hub_and_router_only_and_bill_to_to_the_router(
    hub: LocalInferenceServer,
) -> None:
    model = map_cell(hub, "fal-ai", "text-to-image")
    async with AsyncInferenceClient(HF, router_url=hub.url, hub_url=hub.url, bill_to="acme") as c:
        await c.text_to_image("a cat", model=model)
    seen = {
        (r.path.split("/")[1], r.headers.get("authorization"), r.headers.get("x-hf-bill-to"))
        for r in hub.requests
    }
    assert seen == {
        ("api", f"Bearer {HF}", None),  # bill_to is for inference: the router only
        ("fal-ai", f"Bearer {HF}", "acme"),
        ("_media", None, None),
    }


async def test_provider_key_goes_to_that_provider_only(hub: LocalInferenceServer) -> None:
    model = map_cell(hub, "fal-ai", "text-to-image")
    async with LocalInferenceServer(as_provider="fal-ai") as fal:
        async with AsyncInferenceClient(
            KEY,
            router_url=hub.url,
            hub_url=hub.url,
            provider_urls={"fal-ai": fal.url},
            bill_to="acme",
        ) as c:
            image = await c.text_to_image("a cat", model=model)
        assert image.data
        # The Hub lookup is anonymous: a provider key is not a Hugging Face credential.
        assert [(r.path, r.headers.get("authorization")) for r in hub.requests] == [
            (f"/api/models/{model}", None)
        ]
        sent = [r for r in fal.requests if not r.path.startswith("/_media/")]
        assert [(r.path, r.headers.get("authorization")) for r in sent] == [
            ("/fal-ai/text-to-image-app", f"Key {KEY}")
        ]
        assert all("x-hf-bill-to" not in r.headers for r in fal.requests)
        assert all(
            "authorization" not in r.headers for r in fal.requests if r.path.startswith("/_media/")
        )


async def test_an_hf_token_goes_through_the_router_even_beside_provider_urls(
    hub: LocalInferenceServer,
) -> None:
    # provider_urls says where a provider's own key goes; a Hugging Face token still only
    # travels to the router, whatever host the client was told the provider lives on.
    model = map_cell(hub, "fal-ai", "text-to-image")
    async with LocalInferenceServer(as_provider="fal-ai") as fal:
        async with AsyncInferenceClient(
            HF, router_url=hub.url, hub_url=hub.url, provider_urls={"fal-ai": fal.url}
        ) as c:
            image = await c.text_to_image("a cat", model=model)
        assert image.data
        assert fal.requests == []
    assert [r.path for r in inference_requests(hub)] == ["/fal-ai/fal-ai/text-to-image-app"]


# -- jobs ------------------------------------------------------------------------------------


async def test_fal_queue_reports_progress_and_rewrites_its_urls_onto_the_router(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    model = map_cell(hub, "fal-ai", "text-to-video")
    hub.job_plan(provider_id("fal-ai", "text-to-video"), Queued(2), Queued(1), Running(), Done())
    updates: list[JobProgress] = []
    video = await routed.text_to_video("a cat", model=model, on_progress=updates.append)
    assert video.data
    assert [(u.status, u.queue_position) for u in updates] == [
        ("IN_QUEUE", 2),
        ("IN_QUEUE", 1),
        ("IN_PROGRESS", None),
        ("COMPLETED", None),
    ]
    polls = [r for r in hub.requests if r.path.endswith("/status")]
    assert polls and all(r.path.startswith("/fal-ai/fal-ai/") for r in polls)
    assert all(r.query == {"_subdomain": "queue"} for r in polls)


async def test_a_failed_job_raises_job_error_with_message_and_id(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    for provider in ("fal-ai", "replicate", "together", "wavespeed"):
        model = map_cell(hub, provider, "text-to-video")
        hub.job_plan(
            provider_id(provider, "text-to-video"), Queued(0), Failed("CUDA out of memory")
        )
        with pytest.raises(JobError) as info:
            await routed.text_to_video("a cat", model=model)
        assert "CUDA out of memory" in str(info.value), provider
        assert info.value.job_id and info.value.job_id in str(info.value)
        assert info.value.provider == provider


async def test_a_job_queued_past_the_deadline_times_out_and_is_cancelled(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    model = map_cell(hub, "fal-ai", "text-to-video")
    hub.job_plan(provider_id("fal-ai", "text-to-video"), Queued(3))
    with pytest.raises(InferenceTimeoutError, match="still IN_QUEUE"):
        await routed.text_to_video("a cat", model=model, timeout=Timeout(total=0.6))
    assert len(hub.cancelled_jobs) == 1
    await routed.aclose()
    await hub.wait_connections(0)


async def test_job_polling_never_sleeps_past_the_deadline(hub: LocalInferenceServer) -> None:
    # The deadline is set before the submit; the first progress report comes after it, so
    # first report + total is a bound the deadline never exceeds. No wait may end past it:
    # the call gives up before a sleep that would outlast the deadline, not after it.
    model = map_cell(hub, "fal-ai", "text-to-video")
    hub.job_plan(provider_id("fal-ai", "text-to-video"), Queued(3))
    total = 0.6
    sleeps_end: list[float] = []
    reported: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps_end.append(anyio.current_time() + seconds)
        await anyio.sleep(seconds)

    async with AsyncInferenceClient(
        HF, router_url=hub.url, hub_url=hub.url, max_retries=0, sleep=sleep
    ) as c:
        with pytest.raises(InferenceTimeoutError, match="still IN_QUEUE"):
            await c.text_to_video(
                "a cat",
                model=model,
                timeout=Timeout(total=total),
                on_progress=lambda _: reported.append(anyio.current_time()),
            )
    assert sleeps_end and max(sleeps_end) < reported[0] + total


async def test_a_5xx_while_polling_is_retried(hub: LocalInferenceServer) -> None:
    model = map_cell(hub, "replicate", "text-to-video")
    hub.job_plan(
        provider_id("replicate", "text-to-video"),
        Queued(0),
        Reply(503, {"error": "upstream busy"}),
        Done(),
        honour_wait=False,
    )
    async with AsyncInferenceClient(HF, router_url=hub.url, hub_url=hub.url, max_retries=2) as c:
        video = await c.text_to_video("a cat", model=model)
    assert video.data


async def test_a_replicate_prediction_asks_to_wait_and_needs_no_poll_when_honoured(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    model = map_cell(hub, "replicate", "text-to-video")
    hub.job_plan(provider_id("replicate", "text-to-video"), Queued(0), Running(), Done())
    updates: list[JobProgress] = []
    video = await routed.text_to_video("a cat", model=model, on_progress=updates.append)
    assert video.data
    (submit,) = (r for r in inference_requests(hub) if r.method == "POST")
    assert submit.headers.get("prefer") == "wait"
    # The provider held the answer until the prediction was done: not a single poll.
    assert [r.method for r in inference_requests(hub)] == ["POST"]
    assert [u.status for u in updates] == ["succeeded"]


async def test_a_media_url_404_is_a_not_found_error(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    model = map_cell(hub, "fal-ai", "text-to-image")
    hub.break_media(provider_id("fal-ai", "text-to-image"))
    with pytest.raises(NotFoundError):
        await routed.text_to_image("a cat", model=model)


async def test_cancelling_a_queued_job_sends_the_cancel_and_leaves_no_connection(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    for provider in ("fal-ai", "replicate"):
        model = map_cell(hub, provider, "text-to-video")
        hub.job_plan(provider_id(provider, "text-to-video"), Queued(5), honour_wait=False)
        async with anyio.create_task_group() as group:
            group.start_soon(functools.partial(routed.text_to_video, "a cat", model=model))
            job = await hub.job_polled()
            group.cancel_scope.cancel()
        assert hub.cancelled_jobs[-1] == job
    await routed.aclose()
    await hub.wait_connections(0)


async def test_streamed_chat_through_a_provider(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    model = map_cell(hub, "groq", "conversational")
    text = ""
    async for chunk in routed.chat_completion_stream(CHAT, model=model, provider="groq"):
        text += chunk.choices[0].delta.content or "" if chunk.choices else ""
    assert text
    assert inference_requests(hub)[0].path == "/groq/openai/v1/chat/completions"


# -- the registry, the docs table and the CLI stay in step -----------------------------------


def test_registry_docs_table_and_cli_choices_agree() -> None:
    from pathlib import Path

    from hf_inference import providers
    from hf_inference.cli import build_parser

    page = (Path(__file__).parent.parent / "docs" / "providers.md").read_text(encoding="utf-8")
    table = page.split("<!-- providers-table:start -->\n")[1].split("<!-- providers-table:end")[0]
    assert table.strip() == providers.markdown_table()
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in ("text-to-image", "text-to-video", "chat"):
        (action,) = [a for a in commands[name]._actions if a.dest == "provider"]
        assert set(action.choices) == {"auto", *PROVIDERS}, name


async def test_cli_runs_a_provider_job_and_shows_its_progress(tmp_path: Any) -> None:
    import io
    import subprocess
    import sys

    from hf_inference.cli import LoadingProgress

    out = tmp_path / "video.mp4"
    result = await anyio.run_process(
        [sys.executable, "-W", "error", "-m", "hf_inference", "text-to-video", "--local",
         "--provider", "fal-ai", "-m", "Wan-AI/Wan2.1-T2V-14B", "-o", str(out), "a cat"],
        check=False,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    progress = LoadingProgress("m", stream=screen)
    progress.job(JobProgress("fal-ai", "job-1", "IN_QUEUE", 3, 1.0))
    assert "fal-ai job job-1: IN_QUEUE, position 3" in screen.getvalue()
    progress.clear()
    assert screen.getvalue().endswith("\r\x1b[K")


# -- dedicated endpoints: /info and /health ---------------------------------------------------


async def test_endpoint_info_and_health(hub: LocalInferenceServer) -> None:
    from hf_inference.sync import InferenceClient

    url = hub.endpoint_url("tgi")
    async with AsyncInferenceClient(HF, base_url=hub.base_url) as c:
        info = await c.endpoint(url).get_endpoint_info()
        assert info["model_id"] == "tgi" and "max_total_tokens" in info
        assert await c.health_check(model=url) is True
        hub.script("tgi", Reply(503, {"error": "unhealthy"}))
        assert await c.health_check(model=url) is False
        with pytest.raises(hf_inference.InvalidInputError, match="dedicated endpoint"):
            await c.get_endpoint_info(model="gpt2")

    def blocking() -> bool:
        with InferenceClient(HF, base_url=hub.base_url) as sync_client:
            return sync_client.health_check(model=url)

    # In a worker thread: this test's loop keeps serving the local server meanwhile.
    assert await anyio.to_thread.run_sync(blocking) is True
    assert not hub.hub_lookups
    gets = [(r.method, r.path) for r in hub.requests if r.method == "GET"]
    assert ("GET", "/endpoints/tgi/info") in gets and ("GET", "/endpoints/tgi/health") in gets


async def test_health_check_is_false_when_nothing_listens() -> None:
    async with LocalInferenceServer() as gone:
        url = gone.endpoint_url("tgi")
    async with AsyncInferenceClient(HF) as c:
        assert await c.health_check(model=url) is False


# -- the mapping cache, by itself ------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _answer(provider: str) -> bytes:
    entry = {"provider": provider, "providerId": "x", "task": "text-to-image", "status": "live"}
    return msgspec.json.encode({"inferenceProviderMapping": [entry]})


async def test_mapping_cache_ttl_size_bound_and_failures() -> None:
    from hf_inference._mapping import MappingCache

    asked: list[str] = []
    failing = {"bad/model"}

    async def fetch(model: str) -> bytes:
        asked.append(model)
        if model in failing:
            raise NotFoundError("gone", status=404)
        return _answer("fal-ai")

    clock = Clock()
    cache = MappingCache(fetch, ttl=10.0, max_size=2, clock=clock)
    assert (await cache.get("a/1"))[0].provider == "fal-ai"
    await cache.get("a/1")
    assert asked == ["a/1"]
    clock.now = 10.0  # expired: asked again
    await cache.get("a/1")
    assert asked == ["a/1", "a/1"]
    await cache.get("a/2")
    await cache.get("a/3")  # over max_size: the oldest (a/1) goes
    assert len(cache) == 2 and cache.cached("a/1") is None and cache.cached("a/3")
    for _ in range(2):
        with pytest.raises(NotFoundError):
            await cache.get("bad/model")
    assert asked.count("bad/model") == 2  # a failure is not cached


async def test_mapping_cache_followers_survive_a_cancelled_leader() -> None:
    from hf_inference._mapping import MappingCache

    release = anyio.Event()
    calls = 0

    async def fetch(model: str) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 1:
            await anyio.sleep_forever()  # the first leader never answers: it gets cancelled
        await release.wait()
        return _answer("together")

    cache = MappingCache(fetch)
    results: list[str] = []

    async def follower() -> None:
        results.append((await cache.get("m/1"))[0].provider)

    async with anyio.create_task_group() as outer:
        async with anyio.create_task_group() as leader:
            leader.start_soon(cache.get, "m/1")
            await anyio.wait_all_tasks_blocked()
            outer.start_soon(follower)
            outer.start_soon(follower)
            await anyio.wait_all_tasks_blocked()
            leader.cancel_scope.cancel()
        release.set()
    assert results == ["together", "together"] and calls == 2


def test_mapping_reads_both_wire_forms() -> None:
    from hf_inference._mapping import parse_mapping

    listed = msgspec.json.encode(
        {"inferenceProviderMapping": [
            {"provider": "fal-ai", "providerId": "a", "task": "text-to-image", "status": "staging",
             "adapter": "lora", "adapterWeightsPath": "w.safetensors"},
            {"provider": "replicate", "providerId": "b", "task": "text-to-image"},
        ]}
    )  # fmt: skip
    legacy = msgspec.json.encode(
        {"inferenceProviderMapping": {
            "fal-ai": {"providerId": "a", "task": "text-to-image", "status": "staging",
                       "adapter": "lora", "adapterWeightsPath": "w.safetensors"},
            "replicate": {"providerId": "b", "task": "text-to-image", "status": "live"},
        }}
    )  # fmt: skip
    assert parse_mapping(listed, "m") == parse_mapping(legacy, "m")
    first = parse_mapping(listed, "m")[0]
    assert (first.status, first.adapter_weights_path) == ("staging", "w.safetensors")
    assert parse_mapping(b'{"id": "m"}', "m") == ()
    with pytest.raises(hf_inference.DecodeError):
        parse_mapping(b"<html>", "m")


async def test_hf_inference_sentence_models_serve_both_embedding_tasks(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    model = "sentence-transformers/all-MiniLM-L6-v2"
    hub.map_model(
        model, [{"provider": "hf-inference", "providerId": model, "task": "feature-extraction"}]
    )
    scores = await routed.sentence_similarity(
        {"source_sentence": "a", "sentences": ["b", "c"]}, model=model
    )
    assert len(scores) == 2
    assert hub.requests[-1].path == f"/hf-inference/models/{model}/pipeline/sentence-similarity"


async def test_lora_adapters_reach_fal_and_replicate(
    hub: LocalInferenceServer, routed: AsyncInferenceClient
) -> None:
    for provider, pid in (("fal-ai", "fal-ai/flux-lora"), ("replicate", "owner/flux-lora")):
        model = f"user/{provider}-lora"
        hub.map_model(
            model,
            [{"provider": provider, "providerId": pid, "task": "text-to-image",
              "adapter": "lora", "adapterWeightsPath": "lora.safetensors"}],
        )  # fmt: skip
        await routed.text_to_image("a cat", model=model)
    fal, replicate = (r.json for r in inference_requests(hub) if r.method == "POST")
    assert fal["loras"] == [
        {"path": f"{hub.url}/user/fal-ai-lora/resolve/main/lora.safetensors", "scale": 1}
    ]
    assert replicate["input"]["lora_weights"] == f"{hub.url}/user/replicate-lora"


@pytest.mark.parametrize(
    ("provider", "host", "task", "scheme"),
    [
        ("fal-ai", "fal-ai-queue", "text-to-video", "Key"),
        ("replicate", "replicate", "text-to-image", "Bearer"),
        ("together", "together", "text-to-video", "Bearer"),
        ("wavespeed", "wavespeed", "image-to-video", "Bearer"),
        ("zai-org", "zai-org", "text-to-image", "Bearer"),
        ("deepinfra", "deepinfra", "automatic-speech-recognition", "Bearer"),
    ],
)
async def test_jobs_and_forms_with_a_provider_key_go_straight_to_the_provider(
    hub: LocalInferenceServer, provider: str, host: str, task: str, scheme: str
) -> None:
    model = map_cell(hub, provider, task)
    method, inputs, parameters, expected = CALLS[task]
    async with (
        LocalInferenceServer(as_provider=host) as own,
        AsyncInferenceClient(
            KEY, router_url=hub.url, hub_url=hub.url, provider_urls={provider: own.url}
        ) as client,
    ):
        if provider in ("fal-ai", "replicate", "together", "wavespeed"):
            own.job_plan("*", Queued(1), Running(), Done(), honour_wait=False)
        result = await getattr(client, method)(inputs, model=model, parameters=parameters)
        check(result, expected)
        calls = [r for r in own.requests if not r.path.startswith("/_media/")]
        assert {r.headers.get("authorization") for r in calls} == {f"{scheme} {KEY}"}
        assert inference_requests(hub) == []  # the router never saw the call
        await client.aclose()
        await own.wait_connections(0)


async def test_chat_auto_routing_refuses_a_provider_key_before_sending(
    hub: LocalInferenceServer,
) -> None:
    async with AsyncInferenceClient(KEY, router_url=hub.url, hub_url=hub.url) as c:
        with pytest.raises(hf_inference.InvalidInputError, match="provider key"):
            await c.chat_completion(CHAT, model="meta-llama/Llama-3.1-8B-Instruct")
    assert hub.requests == []


@pytest.mark.parametrize(
    ("provider", "task", "field"),
    [
        ("together", "image-to-image", ("reference_images", 0)),
        ("fal-ai", "image-to-image", ("image_url",)),
        ("replicate", "image-to-image", ("input", "image")),
        ("wavespeed", "image-to-video", ("image",)),
        ("together", "image-to-video", ("frame_images", 0, "input_image")),
        ("fal-ai", "automatic-speech-recognition", ("audio_url",)),
    ],
)
async def test_binary_inputs_reach_providers_as_data_urls_and_urls_as_they_are(
    hub: LocalInferenceServer,
    routed: AsyncInferenceClient,
    provider: str,
    task: str,
    field: tuple[Any, ...],
) -> None:
    model = map_cell(hub, provider, task)
    method, inputs, parameters, _ = CALLS[task]
    call = getattr(routed, method)
    await call(inputs, model=model, parameters=parameters)
    await call("https://example.com/input.png", model=model, parameters=parameters)
    sent = [r.json for r in inference_requests(hub) if r.method == "POST"]
    values = []
    for body in sent:
        for step in field:
            body = body[step]
        values.append(body)
    media = "image/png" if inputs is PNG else "audio/wav"
    assert values[0].startswith(f"data:{media};base64,")
    assert values[1] == "https://example.com/input.png"


async def test_media_downloads_respect_the_response_size_cap(hub: LocalInferenceServer) -> None:
    model = map_cell(hub, "fal-ai", "text-to-image")
    async with AsyncInferenceClient(
        HF, router_url=hub.url, hub_url=hub.url, max_response_size=600
    ) as c:
        with pytest.raises(hf_inference.DecodeError, match="max_response_size"):
            await c.text_to_image("a cat", model=model)
    assert any(r.path.startswith("/_media/") for r in hub.requests)
