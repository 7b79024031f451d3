"""huggingface_hub's InferenceClient against the local server's provider side.

A peer client, written from the providers' real APIs, reading our Hub mapping, router routes
and provider hosts, is the check that the shapes are the real ones and not a dialect of our
own. huggingface_hub fixes its router and Hub URLs in ``constants``; the tests point them at
the local server. Its job pollers add the ``/{provider}`` prefix only for the real router's
host name, so jobs other than zai-org's and together's are driven on a provider's own host
(``as_provider``) with a provider key, as a user with their own key would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest

from hf_inference.testing import Done, LocalInferenceServer, Queued

pytestmark = [pytest.mark.interop, pytest.mark.anyio]

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40)
MESSAGES = [{"role": "user", "content": "Hello there"}]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    hub = pytest.importorskip("huggingface_hub")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    from huggingface_hub.inference._providers import _common

    _common._fetch_inference_provider_mapping.cache_clear()
    yield hub
    _common._fetch_inference_provider_mapping.cache_clear()


@pytest.fixture
async def router(hub: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LocalInferenceServer]:
    async with LocalInferenceServer() as server:
        monkeypatch.setattr(hub.constants, "ENDPOINT", server.url)
        monkeypatch.setattr(hub.constants, "INFERENCE_PROXY_TEMPLATE", server.url + "/{provider}")
        yield server


async def _run(fn: Callable[[], Any]) -> Any:
    return await anyio.to_thread.run_sync(fn)


def _png_size(image: Any) -> tuple[int, int]:
    width, height = image.size
    return int(width), int(height)


ROUTED = [
    ("fal-ai", "text_to_image", ("a fox",), "black-forest-labs/FLUX.1-schnell"),
    ("replicate", "text_to_image", ("a fox",), "black-forest-labs/FLUX.1-schnell"),
    ("together", "text_to_image", ("a fox",), "black-forest-labs/FLUX.1-schnell"),
    ("nscale", "text_to_image", ("a fox",), "black-forest-labs/FLUX.1-schnell"),
    ("zai-org", "text_to_image", ("a fox",), "zai-org/CogView4-6B"),
    ("fal-ai", "automatic_speech_recognition", (WAV,), "openai/whisper-large-v3"),
    ("deepinfra", "automatic_speech_recognition", (WAV,), "openai/whisper-large-v3"),
    ("replicate", "automatic_speech_recognition", (WAV,), "openai/whisper-large-v3"),
    ("fal-ai", "text_to_speech", ("Hello",), "hexgrad/Kokoro-82M"),
    ("replicate", "text_to_speech", ("Hello",), "hexgrad/Kokoro-82M"),
    ("deepinfra", "text_to_speech", ("Hello",), "hexgrad/Kokoro-82M"),
    ("novita", "text_to_video", ("a fox",), "Wan-AI/Wan2.1-T2V-14B"),
    ("replicate", "text_to_video", ("a fox",), "Wan-AI/Wan2.1-T2V-14B"),
    ("together", "text_to_video", ("a fox",), "Wan-AI/Wan2.1-T2V-14B"),
    ("scaleway", "feature_extraction", ("a b c",), "Qwen/Qwen3-Embedding-8B"),
    ("together", "feature_extraction", ("a b c",), "Qwen/Qwen3-Embedding-8B"),
    ("together", "text_generation", ("Paris is",), "mistralai/Mixtral-8x7B-v0.1"),
    ("featherless-ai", "text_generation", ("Paris is",), "mistralai/Mixtral-8x7B-v0.1"),
    *[
        (p, "chat_completion", (MESSAGES,), "meta-llama/Llama-3.1-8B-Instruct")
        for p in ("cerebras", "groq", "novita", "nscale", "featherless-ai", "fireworks-ai")
    ],
    *[
        (p, "chat_completion", (MESSAGES,), "openai/gpt-oss-120b")
        for p in ("baseten", "together", "ovhcloud", "publicai")
    ],
    ("cohere", "chat_completion", (MESSAGES,), "CohereLabs/c4ai-command-r7b-12-2024"),
    ("zai-org", "chat_completion", (MESSAGES,), "zai-org/GLM-4.5"),
]


def _check(method: str, answer: Any) -> None:
    if method == "text_to_image":
        assert _png_size(answer) == (64, 64)
    elif method == "automatic_speech_recognition":
        assert answer.text
    elif method == "text_to_speech":
        assert answer.startswith(b"RIFF")
    elif method == "text_to_video":
        assert answer[4:8] == b"ftyp"
    elif method == "feature_extraction":
        assert answer.shape[-1] == 384
    elif method == "text_generation":
        assert isinstance(answer, str) and answer
    else:
        assert answer.choices[0].message.content.startswith("Hello there")


@pytest.mark.parametrize(
    ("provider", "method", "args", "model"), ROUTED, ids=[f"{r[0]}-{r[1]}" for r in ROUTED]
)
async def test_huggingface_hub_through_the_router(
    hub: Any,
    router: LocalInferenceServer,
    provider: str,
    method: str,
    args: tuple[Any, ...],
    model: str,
) -> None:
    router.job_plan("*", Queued(), Done())  # one poll: huggingface_hub sleeps between polls
    if provider == "together":
        router.job_plan("together", Done())
    client = hub.InferenceClient(provider=provider, api_key="hf_peer_token", bill_to="acme")
    answer = await _run(lambda: getattr(client, method)(*args, model=model))
    _check(method, answer)
    assert router.hub_lookups[model] == 1
    calls = [r for r in router.requests if r.provider is not None]
    assert calls and {r.provider for r in calls} == {provider}
    assert all(r.headers["authorization"] == "Bearer hf_peer_token" for r in calls)
    assert all(r.headers["x-hf-bill-to"] == "acme" for r in calls)


DIRECT = [
    (
        "fal-ai-queue",
        "fal-ai",
        "text-to-video",
        "text_to_video",
        ("a fox",),
        "Wan-AI/Wan2.1-T2V-14B",
    ),
    (
        "fal-ai-queue",
        "fal-ai",
        "image-to-image",
        "image_to_image",
        (None,),
        "black-forest-labs/FLUX.1-Kontext-dev",
    ),
    (
        "fal-ai-queue",
        "fal-ai",
        "image-segmentation",
        "image_segmentation",
        (None,),
        "briaai/RMBG-2.0",
    ),
    (
        "wavespeed",
        "wavespeed",
        "text-to-image",
        "text_to_image",
        ("a fox",),
        "black-forest-labs/FLUX.1-schnell",
    ),
    (
        "wavespeed",
        "wavespeed",
        "text-to-video",
        "text_to_video",
        ("a fox",),
        "Wan-AI/Wan2.1-T2V-14B",
    ),
]


@pytest.mark.parametrize(
    ("host", "provider", "task", "method", "args", "model"),
    DIRECT,
    ids=[f"{d[0]}-{d[2]}" for d in DIRECT],
)
async def test_huggingface_hub_on_a_provider_host(
    hub: Any,
    router: LocalInferenceServer,
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    provider: str,
    task: str,
    method: str,
    args: tuple[Any, ...],
    model: str,
) -> None:
    from huggingface_hub.inference._providers import PROVIDERS

    from hf_inference.testing._media import png

    async with LocalInferenceServer(as_provider=host) as server:
        server.job_plan("*", Queued(), Done())
        monkeypatch.setattr(PROVIDERS[provider][task], "base_url", server.url)  # type: ignore[index]
        client = hub.InferenceClient(provider=provider, api_key=f"{provider}-key")
        image = png(32, 32, seed=1)
        call_args = tuple(image if a is None else a for a in args)
        answer = await _run(lambda: getattr(client, method)(*call_args, model=model))
        if method == "image_segmentation":
            assert answer[0].label == "mask"
        elif method == "text_to_video":
            assert answer[4:8] == b"ftyp"
        else:
            assert _png_size(answer)[0] in (32, 64)
        scheme = "Key" if provider == "fal-ai" else "Bearer"
        calls = [r for r in server.requests if r.route != "media"]
        assert all(r.headers["authorization"] == f"{scheme} {provider}-key" for r in calls)
        assert router.hub_lookups[model] == 1


async def test_huggingface_hub_reads_the_legacy_mapping(
    hub: Any, router: LocalInferenceServer
) -> None:
    router.map_model(
        "acme/old-style",
        [{"provider": "groq", "providerId": "llama-old", "task": "conversational"}],
        legacy_dict=True,
    )
    client = hub.InferenceClient(provider="groq", api_key="hf_peer_token")
    answer = await _run(lambda: client.chat_completion(MESSAGES, model="acme/old-style"))
    assert answer.model == "llama-old"
    assert router.requests[-1].json["model"] == "llama-old"
