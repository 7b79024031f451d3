"""The local server's provider side, driven with plain aiohttp: the Hub mapping, the router's
per-provider routes, each provider's own host, jobs, faults and media.

``drive()`` below is a deliberately small reader of every provider shape; it follows job
URLs the way the real clients must (through the router: rewritten under
``/{provider}/...`` with the query kept), so each case proves the server answers the
provider's real shape end to end.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from hf_inference.testing import (
    PROVIDERS,
    LocalInferenceServer,
)

pytestmark = pytest.mark.anyio

HF = {"Authorization": "Bearer hf_router_token"}
PNG = b"\x89PNG\r\n\x1a\n"
WAV_B64 = base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40)).decode()
IMAGE_URL = "data:image/png;base64," + base64.b64encode(PNG + bytes(16)).decode()


@pytest.fixture
async def server() -> AsyncIterator[LocalInferenceServer]:
    async with LocalInferenceServer() as srv:
        yield srv


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass(frozen=True)
class Case:
    provider: str
    task: str
    route: str  # the provider's own route
    body: Any
    reader: str  # how the answer is read, see drive()
    host: str = ""  # the provider host when it is not the provider's name

    @property
    def id(self) -> str:
        return f"{self.provider}-{self.task}"


def _chat(provider: str, prefix: str, model: str = "m") -> Case:
    body = {"model": model, "messages": [{"role": "user", "content": "Hello there"}]}
    return Case(provider, "conversational", prefix + "/chat/completions", body, "chat")


def _completion(provider: str, prefix: str) -> Case:
    body = {"model": "m", "prompt": "Paris is", "max_tokens": 4}
    return Case(provider, "text-generation", prefix + "/completions", body, "completion")


def _embedding(provider: str, prefix: str) -> Case:
    body = {"model": "e", "input": ["a b", "c"]}
    return Case(provider, "feature-extraction", prefix + "/embeddings", body, "embedding")


def _fal(task: str, model: str, body: dict[str, Any], queue: bool) -> Case:
    return Case(
        "fal-ai",
        task,
        "/" + model,
        body,
        "fal-queue" if queue else "fal",
        host="fal-ai-queue" if queue else "",
    )


def _replicate(task: str, model: str, inputs: dict[str, Any]) -> Case:
    return Case(
        "replicate", task, f"/v1/models/{model}/predictions", {"input": inputs}, "replicate"
    )


def _wavespeed(task: str, model: str, body: dict[str, Any]) -> Case:
    return Case("wavespeed", task, f"/api/v3/{model}", body, "wavespeed")


PROMPT = {"prompt": "a red fox"}
CASES: tuple[Case, ...] = (
    _chat("baseten", "/v1"),
    _chat("cerebras", "/v1"),
    _chat("cohere", "/compatibility/v1"),
    _chat("deepinfra", "/v1/openai"),
    _completion("deepinfra", "/v1/openai"),
    _embedding("deepinfra", "/v1/openai"),
    Case(
        "deepinfra",
        "text-to-speech",
        "/v1/openai/audio/speech",
        {"model": "k", "input": "hi"},
        "audio",
    ),
    Case(
        "deepinfra",
        "automatic-speech-recognition",
        "/v1/openai/audio/transcriptions",
        None,
        "transcription",
    ),
    _fal(
        "automatic-speech-recognition",
        "fal-ai/whisper",
        {"audio_url": "data:audio/mpeg;base64," + WAV_B64},
        False,
    ),
    _fal("text-to-image", "fal-ai/flux/schnell", PROMPT, False),
    _fal("text-to-speech", "fal-ai/kokoro/american-english", {"text": "hello"}, False),
    _fal("text-to-video", "fal-ai/wan-t2v", PROMPT, True),
    _fal("image-to-video", "fal-ai/wan-i2v", {"image_url": IMAGE_URL, "prompt": "move"}, True),
    _fal(
        "image-to-image",
        "fal-ai/flux-kontext/dev",
        {"image_url": IMAGE_URL, "image_urls": [IMAGE_URL]},
        True,
    ),
    _fal(
        "image-segmentation",
        "fal-ai/bria/background/remove",
        {"image_url": IMAGE_URL, "sync_mode": True},
        True,
    ),
    _chat("featherless-ai", "/v1"),
    _completion("featherless-ai", "/v1"),
    _chat("fireworks-ai", "/inference/v1"),
    _chat("groq", "/openai/v1"),
    _chat("novita", "/v3/openai"),
    _completion("novita", "/v3/openai"),
    Case("novita", "text-to-video", "/v3/async/wan-t2v", PROMPT, "novita"),
    _chat("nscale", "/v1"),
    Case(
        "nscale",
        "text-to-image",
        "/v1/images/generations",
        {"model": "f", "prompt": "x", "response_format": "b64_json"},
        "b64-image",
    ),
    _chat("ovhcloud", "/v1"),
    _chat("publicai", "/v1"),
    _replicate(
        "automatic-speech-recognition",
        "vaibhavs10/incredibly-fast-whisper",
        {"audio": "data:audio/wav;base64," + WAV_B64},
    ),
    _replicate(
        "image-to-image", "black-forest-labs/flux-kontext-dev", {"image": IMAGE_URL, "prompt": "x"}
    ),
    _replicate("text-to-image", "black-forest-labs/flux-schnell", PROMPT),
    _replicate("text-to-speech", "jaaari/kokoro-82m", {"text": "hello"}),
    _replicate("text-to-video", "wavespeedai/wan-2.1-t2v-480p", PROMPT),
    _chat("scaleway", "/v1"),
    _embedding("scaleway", "/v1"),
    _chat("together", "/v1"),
    _completion("together", "/v1"),
    _embedding("together", "/v1"),
    Case(
        "together",
        "text-to-image",
        "/v1/images/generations",
        {"model": "f", "prompt": "x", "response_format": "base64"},
        "b64-image",
    ),
    Case(
        "together",
        "image-to-image",
        "/v1/images/generations",
        {"model": "f", "prompt": "x", "reference_images": [IMAGE_URL]},
        "b64-image",
    ),
    Case(
        "together",
        "text-to-speech",
        "/v1/audio/speech",
        {"model": "k", "input": "hi", "voice": "v"},
        "audio",
    ),
    Case(
        "together",
        "text-to-video",
        "/v2/videos",
        {"model": "Wan-AI/Wan2.1-T2V-14B", "prompt": "x"},
        "together-video",
    ),
    Case(
        "together",
        "image-to-video",
        "/v2/videos",
        {"model": "w", "frame_images": [{"input_image": IMAGE_URL, "frame": "first"}]},
        "together-video",
    ),
    _wavespeed("text-to-image", "wavespeed-ai/flux-schnell", PROMPT),
    _wavespeed("text-to-video", "wavespeed-ai/wan-2.1/t2v-480p", PROMPT),
    _wavespeed(
        "image-to-image", "wavespeed-ai/flux-kontext-dev", {"image": IMAGE_URL, "prompt": "x"}
    ),
    _wavespeed(
        "image-to-video", "wavespeed-ai/wan-2.1/i2v-720p", {"image": IMAGE_URL, "prompt": "x"}
    ),
    Case(
        "zai-org",
        "conversational",
        "/api/paas/v4/chat/completions",
        _chat("zai-org", "").body,
        "chat",
    ),
    Case(
        "zai-org",
        "text-to-image",
        "/api/paas/v4/async/images/generations",
        {"model": "cogview-4-250304", "prompt": "x"},
        "zai",
    ),
)

OPENAI_CHAT = _chat("openai", "/v1", "gpt-4o")

#: The issue's provider x task table (hf-inference: the classic routes, tested elsewhere).
ISSUE_TABLE = {
    "baseten": {"conversational"},
    "cerebras": {"conversational"},
    "cohere": {"conversational"},
    "deepinfra": {
        "automatic-speech-recognition",
        "conversational",
        "feature-extraction",
        "text-generation",
        "text-to-speech",
    },
    "fal-ai": {
        "automatic-speech-recognition",
        "text-to-image",
        "text-to-speech",
        "text-to-video",
        "image-to-video",
        "image-to-image",
        "image-segmentation",
    },
    "featherless-ai": {"conversational", "text-generation"},
    "fireworks-ai": {"conversational"},
    "groq": {"conversational"},
    "novita": {"text-generation", "conversational", "text-to-video"},
    "nscale": {"conversational", "text-to-image"},
    "openai": {"conversational"},
    "ovhcloud": {"conversational"},
    "publicai": {"conversational"},
    "replicate": {
        "automatic-speech-recognition",
        "image-to-image",
        "text-to-image",
        "text-to-speech",
        "text-to-video",
    },
    "scaleway": {"conversational", "feature-extraction"},
    "together": {
        "conversational",
        "feature-extraction",
        "image-to-image",
        "image-to-video",
        "text-generation",
        "text-to-image",
        "text-to-speech",
        "text-to-video",
    },
    "wavespeed": {"text-to-image", "text-to-video", "image-to-image", "image-to-video"},
    "zai-org": {"conversational", "text-to-image"},
}


def test_cases_cover_the_issue_table() -> None:
    covered: dict[str, set[str]] = {}
    for case in (*CASES, OPENAI_CHAT):
        covered.setdefault(case.provider, set()).add(case.task)
    assert covered == ISSUE_TABLE
    assert set(PROVIDERS) == set(ISSUE_TABLE) | {"hf-inference"}
    assert len(PROVIDERS) == 19


# -- a minimal reader of every shape -------------------------------------------------------


class Target:
    """Where a case's requests go: the router (``/{provider}`` prefix) or a provider host."""

    def __init__(self, base: str, provider: str, headers: dict[str, str], router: bool) -> None:
        self.base, self.provider, self.headers, self.router = base, provider, headers, router

    def url(self, route: str, query: str = "") -> str:
        prefix = f"/{self.provider}" if self.router else ""
        return f"{self.base}{prefix}{route}{query}"

    def follow(self, absolute: str, query: str = "") -> str:
        """A job URL from an answer: through the router, its path under ``/{provider}``."""
        if not self.router:
            return absolute
        parts = urlsplit(absolute)
        return self.url(parts.path, f"?{parts.query}" if parts.query else query)


async def _json(response: aiohttp.ClientResponse) -> Any:
    assert response.status < 300, (response.status, await response.text())
    return await response.json()


async def _get(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Any:
    async with http.get(url, headers=headers) as response:
        return await _json(response)


async def _media(http: aiohttp.ClientSession, url: str) -> bytes:
    async with http.get(url) as response:  # media URLs take no credentials
        assert response.status == 200, url
        return await response.read()


async def drive(http: aiohttp.ClientSession, case: Case, target: Target) -> Any:
    """Run one case to its final product: bytes for media, JSON for the rest."""
    headers = target.headers
    query = "?_subdomain=queue" if case.host == "fal-ai-queue" and target.router else ""
    if case.reader == "transcription":
        form = aiohttp.FormData()
        form.add_field(
            "file", base64.b64decode(WAV_B64), filename="a.wav", content_type="audio/wav"
        )
        form.add_field("model", "openai/whisper-large-v3")
        async with http.post(target.url(case.route), data=form, headers=headers) as response:
            return await _json(response)
    async with http.post(
        target.url(case.route, query), json=case.body, headers=headers
    ) as response:
        if case.reader == "audio":
            assert response.status == 200 and response.content_type == "audio/wav"
            return await response.read()
        answer = await _json(response)
    reader = case.reader
    if reader in ("chat", "completion", "embedding", "transcription"):
        return answer
    if reader == "b64-image":
        return base64.b64decode(answer["data"][0]["b64_json"])
    if reader == "fal":
        return await _fal_product(http, case, answer)
    if reader == "fal-queue":
        status = answer
        while status["status"] != "COMPLETED":
            status = await _get(http, target.follow(answer["status_url"], query), headers)
        result = await _get(http, target.follow(answer["response_url"], query), headers)
        return await _fal_product(http, case, result)
    if reader == "replicate":
        while answer["status"] not in ("succeeded", "failed", "canceled"):
            answer = await _get(http, target.follow(answer["urls"]["get"]), headers)
        output = answer["output"]
        if case.task == "automatic-speech-recognition":
            return output
        return await _media(http, output[0] if isinstance(output, list) else output)
    if reader == "wavespeed":
        data = answer["data"]
        while data["status"] != "completed":
            data = (await _get(http, target.follow(data["urls"]["get"]), headers))["data"]
        return await _media(http, data["outputs"][0])
    if reader == "together-video":
        while answer["status"] != "completed":
            answer = await _get(http, target.url(f"{case.route}/{answer['id']}"), headers)
        return await _media(http, answer["outputs"]["video_url"])
    if reader == "zai":
        while answer["task_status"] != "SUCCESS":
            answer = await _get(
                http, target.url(f"/api/paas/v4/async-result/{answer['id']}"), headers
            )
        return await _media(http, answer["image_result"][0]["url"])
    if reader == "novita":
        url = target.url(f"/v3/async/task-result?task_id={answer['task_id']}")
        result = await _get(http, url, headers)
        while result["task"]["status"] != "TASK_STATUS_SUCCEED":
            result = await _get(http, url, headers)
        return await _media(http, result["videos"][0]["video_url"])
    raise AssertionError(reader)


async def _fal_product(http: aiohttp.ClientSession, case: Case, answer: dict[str, Any]) -> Any:
    if case.task == "automatic-speech-recognition":
        return answer
    if "images" in answer:
        return await _media(http, answer["images"][0]["url"])
    if "image" in answer:
        url = answer["image"]["url"]
        return (
            base64.b64decode(url.split(",", 1)[1])
            if url.startswith("data:")
            else await _media(http, url)
        )
    if "video" in answer:
        return await _media(http, answer["video"]["url"])
    return await _media(http, answer["audio"]["url"])


def _check_product(case: Case, product: Any) -> None:
    task = case.task
    if task == "conversational":
        assert product["object"] == "chat.completion"
        assert product["choices"][0]["message"]["content"].startswith("Hello there")
    elif task == "text-generation":
        assert product["object"] == "text_completion"
        assert product["choices"][0]["finish_reason"] == "length"
    elif task == "feature-extraction":
        assert [d["index"] for d in product["data"]] == [0, 1]
        assert len(product["data"][0]["embedding"]) == 384
    elif task == "automatic-speech-recognition":
        text = product.get("text", product.get("transcription"))
        assert isinstance(text, str) and text
    elif task in ("text-to-image", "image-to-image", "image-segmentation"):
        assert product.startswith(PNG)
    elif task in ("text-to-video", "image-to-video"):
        assert product[4:8] == b"ftyp"
    else:
        assert task == "text-to-speech" and product.startswith(b"RIFF")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_every_routed_provider_task(
    server: LocalInferenceServer, http: aiohttp.ClientSession, case: Case
) -> None:
    product = await drive(http, case, Target(server.url, case.provider, HF, router=True))
    _check_product(case, product)
    sent = [r for r in server.requests if r.provider is not None]
    assert sent and all(r.headers["authorization"] == HF["Authorization"] for r in sent)
    assert {r.provider for r in sent} == {case.host or case.provider}
    await http.close()
    await server.wait_connections(0)


@pytest.mark.parametrize("case", [*CASES, OPENAI_CHAT], ids=lambda c: c.id)
async def test_every_provider_task_on_its_own_host(http: aiohttp.ClientSession, case: Case) -> None:
    host = case.host or case.provider
    scheme = "Key" if case.provider == "fal-ai" else "Bearer"
    headers = {"Authorization": f"{scheme} {case.provider}-key"}
    async with LocalInferenceServer(as_provider=host) as server:
        product = await drive(http, case, Target(server.url, case.provider, headers, router=False))
        _check_product(case, product)
        calls = [r for r in server.requests if r.route != "media"]
        assert all(r.headers["authorization"] == headers["Authorization"] for r in calls)
        media = [r for r in server.requests if r.route == "media"]
        assert all("authorization" not in r.headers for r in media)
