"""The local server's provider side, driven with plain aiohttp: the Hub mapping, the router's
per-provider routes, each provider's own host, jobs, faults and media.

``drive()`` below is a deliberately small reader of every provider shape; it follows job
URLs the way the real clients must (through the router: rewritten under
``/{provider}/...`` with the query kept), so each case proves the server answers the
provider's real shape end to end.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from hf_inference.testing import (
    PROVIDERS,
    Done,
    Drop,
    Failed,
    LocalInferenceServer,
    Queued,
    Reply,
    Running,
)
from hf_inference.testing._providers import served_tasks

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


#: Tasks huggingface.js adds on top of huggingface_hub's table.
JS_ONLY = {
    "fal-ai": {"audio-to-audio", "text-to-audio", "image-text-to-image", "image-text-to-video"},
    "groq": {"text-generation"},  # through its chat route
}


def test_cases_cover_the_issue_table() -> None:
    covered: dict[str, set[str]] = {}
    for case in (*CASES, OPENAI_CHAT):
        covered.setdefault(case.provider, set()).add(case.task)
    assert covered == ISSUE_TABLE
    assert set(PROVIDERS) == set(ISSUE_TABLE) | {"hf-inference"}
    assert len(PROVIDERS) == 19
    for provider, tasks in ISSUE_TABLE.items():
        assert served_tasks(provider) == tasks | JS_ONLY.get(provider, set()), provider


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


# -- the Hub -------------------------------------------------------------------------------

MAPPING_QUERY = "?expand[]=inferenceProviderMapping"


async def _hub(http: aiohttp.ClientSession, server: LocalInferenceServer, model: str) -> Any:
    url = f"{server.url}/api/models/{model}{MAPPING_QUERY}"
    async with http.get(url, headers=HF) as response:
        return response.status, dict(response.headers), await response.json()


async def test_hub_answers_the_list_form_in_preference_order(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    status, _, answer = await _hub(http, server, "black-forest-labs/FLUX.1-schnell")
    assert status == 200
    assert answer["id"] == "black-forest-labs/FLUX.1-schnell" and len(answer["_id"]) == 24
    first = answer["inferenceProviderMapping"][0]
    assert first == {
        "provider": "fal-ai",
        "providerId": "fal-ai/flux/schnell",
        "task": "text-to-image",
        "status": "live",
    }
    assert [e["provider"] for e in answer["inferenceProviderMapping"]][:3] == [
        "fal-ai",
        "replicate",
        "together",
    ]


async def test_map_model_list_and_legacy_dict_forms(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    entries = [
        {
            "provider": "together",
            "providerId": "t/lora",
            "task": "text-to-image",
            "status": "staging",
        },
        {
            "provider": "fal-ai",
            "providerId": "fal-ai/flux-lora",
            "task": "text-to-image",
            "adapter": "lora",
            "adapterWeightsPath": "lora.safetensors",
        },
    ]
    server.map_model("acme/lora", entries)
    server.map_model("acme/old", entries, legacy_dict=True)
    _, _, listed = await _hub(http, server, "acme/lora")
    assert listed["inferenceProviderMapping"][1]["adapterWeightsPath"] == "lora.safetensors"
    assert listed["inferenceProviderMapping"][1]["status"] == "live"
    _, _, legacy = await _hub(http, server, "acme/old")
    assert legacy["inferenceProviderMapping"] == {
        "together": {"providerId": "t/lora", "task": "text-to-image", "status": "staging"},
        "fal-ai": {
            "providerId": "fal-ai/flux-lora",
            "task": "text-to-image",
            "adapter": "lora",
            "adapterWeightsPath": "lora.safetensors",
            "status": "live",
        },
    }
    with pytest.raises(ValueError, match="lacks \\['providerId'\\]"):
        server.map_model("acme/bad", [{"provider": "fal-ai", "task": "text-to-image"}])
    with pytest.raises(ValueError, match="unknown keys \\['provider_id'\\]"):
        server.map_model("acme/bad", [{**entries[0], "provider_id": "x"}])


async def test_hub_unknown_model_and_missing_expand(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    status, headers, answer = await _hub(http, server, "nobody/nothing")
    assert (status, answer) == (404, {"error": "Repository not found"})
    assert headers["X-Error-Code"] == "RepoNotFound"
    async with http.get(f"{server.url}/api/models/nobody/nothing{MAPPING_QUERY}") as response:
        assert response.status == 401  # without a token the Hub does not say "not found"
        assert response.headers["X-Error-Code"] == "RepoNotFound"
    async with http.get(f"{server.url}/api/models/openai/whisper-large-v3") as response:
        assert "inferenceProviderMapping" not in await response.json()
    assert server.hub_lookups == {"nobody/nothing": 2, "openai/whisper-large-v3": 1}
    assert server.requests[0].headers["authorization"] == HF["Authorization"]


async def test_hub_scripted_fault_then_normal_answer(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    server.script("hub:openai/whisper-large-v3", Reply(500, {"error": "Internal Error"}))
    first = await _hub(http, server, "openai/whisper-large-v3")
    second = await _hub(http, server, "openai/whisper-large-v3")
    assert (first[0], first[2]) == (500, {"error": "Internal Error"})
    assert second[0] == 200
    assert server.hub_lookups["openai/whisper-large-v3"] == 2
    assert [r.route for r in server.requests] == ["hub", "hub"]


# -- the router's auto-routing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "cerebras"),
        ("meta-llama/Llama-3.1-8B-Instruct:fastest", "cerebras"),
        ("meta-llama/Llama-3.1-8B-Instruct:cheapest", "hf-inference"),
        ("meta-llama/Llama-3.1-8B-Instruct:groq", "groq"),
        ("unmapped/model", "hf-inference"),
    ],
)
async def test_router_auto_routing_names_the_provider(
    server: LocalInferenceServer, http: aiohttp.ClientSession, model: str, provider: str
) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "Hi"}]}
    async with http.post(f"{server.url}/v1/chat/completions", json=body, headers=HF) as response:
        assert response.status == 200
        assert response.headers["x-inference-provider"] == provider
        assert (await response.json())["object"] == "chat.completion"


# -- credentials -------------------------------------------------------------------------------


async def test_router_takes_only_hugging_face_tokens(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    url = f"{server.url}/together/v1/chat/completions"
    body = _chat("together", "").body
    for headers in ({}, {"Authorization": "Bearer together-key"}, {"Authorization": "Key hf_x"}):
        async with http.post(url, json=body, headers=headers) as response:
            assert response.status == 401
            assert (
                response.headers["X-Error-Message"] == "Invalid credentials in Authorization header"
            )
            assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    bill = {**HF, "X-HF-Bill-To": "my-org"}
    async with http.post(url, json=body, headers=bill) as response:
        assert response.status == 200
        assert response.headers["x-inference-provider"] == "together"
    sent = server.requests[-1]
    assert sent.headers["authorization"] == HF["Authorization"]
    assert sent.headers["x-hf-bill-to"] == "my-org"
    assert (sent.provider, sent.route, sent.model) == ("together", "chat", "m")


@pytest.mark.parametrize(
    ("host", "authorization"),
    [
        ("fal-ai", "Bearer fal-key"),  # fal takes `Key`
        ("fal-ai", "Key hf_token"),  # no provider takes a Hugging Face token
        ("together", "Bearer hf_token"),
        ("together", "Key together-key"),
        ("replicate", ""),
    ],
)
async def test_provider_hosts_refuse_foreign_credentials(
    http: aiohttp.ClientSession, host: str, authorization: str
) -> None:
    case = {c.host or c.provider: c for c in CASES}[host]
    async with LocalInferenceServer(as_provider=host) as server:
        headers = {"Authorization": authorization} if authorization else {}
        async with http.post(server.url + case.route, json=case.body, headers=headers) as r:
            assert r.status == 401
            answer = await r.json()
        message = answer["detail"] if "detail" in answer else answer["error"]["message"]
        assert "Invalid API key" in message
        assert server.requests[0].headers.get("authorization", "") == authorization


async def test_token_pins_the_exact_key(http: aiohttp.ClientSession) -> None:
    async with LocalInferenceServer(as_provider="groq", token="gsk_right") as server:
        url = server.url + "/openai/v1/chat/completions"
        body = _chat("groq", "").body
        statuses = []
        for key in ("gsk_wrong", "gsk_right"):
            async with http.post(url, json=body, headers={"Authorization": f"Bearer {key}"}) as r:
                statuses.append(r.status)
        assert statuses == [401, 200]


async def test_provider_hosts_serve_only_their_routes(http: aiohttp.ClientSession) -> None:
    async with LocalInferenceServer(as_provider="together") as server:
        headers = {"Authorization": "Bearer together-key"}
        async with http.post(
            server.url + "/hf-inference/models/gpt2", json={}, headers=headers
        ) as r:
            assert r.status == 404
        async with http.get(server.url + "/v1/chat/completions", headers=headers) as r:
            assert r.status == 405
    with pytest.raises(ValueError, match=r"nebius.*known: baseten"):
        LocalInferenceServer(as_provider="nebius")


async def test_router_refuses_removed_providers_and_direct_only_openai(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    body = _chat("x", "").body
    for provider in ("nebius", "sambanova", "openai"):
        async with http.post(
            f"{server.url}/{provider}/v1/chat/completions", json=body, headers=HF
        ) as r:
            assert r.status == 404


# -- jobs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobFamily:
    case: Case
    key: str  # the job_plan key: the provider model id
    statuses: tuple[str, str, str, str]  # queued, running, done, failed as the family says

    def status(self, answer: Any) -> str:
        reader = self.case.reader
        if reader == "wavespeed":
            return str(answer["data"]["status"])
        if reader == "zai":
            return str(answer["task_status"])
        if reader == "novita":
            return str(answer["task"]["status"]) if "task" in answer else "submitted"
        return str(answer["status"])

    def error(self, answer: Any) -> str:
        reader = self.case.reader
        if reader == "wavespeed":
            return str(answer["data"]["error"])
        if reader in ("together-video", "zai"):
            return str(answer["error"]["message"])
        if reader == "novita":
            return str(answer["task"]["reason"])
        return str(answer["error"])

    def job_id(self, answer: Any) -> str:
        reader = self.case.reader
        if reader == "fal-queue":
            return str(answer["request_id"])
        if reader == "wavespeed":
            return str(answer["data"]["id"])
        if reader == "novita":
            return str(answer.get("task_id") or answer["task"]["task_id"])
        return str(answer["id"])

    def poll_url(self, target: Target, submitted: Any) -> str:
        reader, job = self.case.reader, self.job_id(submitted)
        if reader == "fal-queue":
            return target.follow(submitted["status_url"], "?_subdomain=queue")
        if reader == "replicate":
            return target.follow(submitted["urls"]["get"])
        if reader == "wavespeed":
            return target.follow(submitted["data"]["urls"]["get"])
        if reader == "together-video":
            return target.url(f"/v2/videos/{job}")
        if reader == "zai":
            return target.url(f"/api/paas/v4/async-result/{job}")
        return target.url(f"/v3/async/task-result?task_id={job}")


def _case(reader: str, task: str) -> Case:
    return next(c for c in CASES if c.reader == reader and c.task == task)


FAMILIES = (
    JobFamily(
        _case("fal-queue", "text-to-video"),
        "fal-ai/wan-t2v",
        ("IN_QUEUE", "IN_PROGRESS", "COMPLETED", "COMPLETED"),
    ),
    JobFamily(
        _case("replicate", "text-to-image"),
        "black-forest-labs/flux-schnell",
        ("starting", "processing", "succeeded", "failed"),
    ),
    JobFamily(
        _case("wavespeed", "text-to-video"),
        "wavespeed-ai/wan-2.1/t2v-480p",
        ("created", "processing", "completed", "failed"),
    ),
    JobFamily(
        _case("together-video", "text-to-video"),
        "Wan-AI/Wan2.1-T2V-14B",
        ("queued", "in_progress", "completed", "failed"),
    ),
    JobFamily(
        _case("zai", "text-to-image"),
        "cogview-4-250304",
        ("PROCESSING", "PROCESSING", "SUCCESS", "FAIL"),
    ),
    JobFamily(
        _case("novita", "text-to-video"),
        "wan-t2v",
        (
            "TASK_STATUS_QUEUED",
            "TASK_STATUS_PROCESSING",
            "TASK_STATUS_SUCCEED",
            "TASK_STATUS_FAILED",
        ),
    ),
)


async def _submit(
    http: aiohttp.ClientSession,
    family: JobFamily,
    target: Target,
    headers: dict[str, str] | None = None,
) -> Any:
    case = family.case
    query = "?_subdomain=queue" if case.reader == "fal-queue" else ""
    async with http.post(target.url(case.route, query), json=case.body, headers=headers or HF) as r:
        return await _json(r)


async def _poll(
    http: aiohttp.ClientSession, family: JobFamily, target: Target, submitted: Any
) -> Any:
    return await _get(http, family.poll_url(target, submitted), HF)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.case.reader)
async def test_job_progress_follows_the_plan(
    server: LocalInferenceServer, http: aiohttp.ClientSession, family: JobFamily
) -> None:
    server.job_plan(family.key, Queued(2), Queued(1), Running(), Done())
    target = Target(server.url, family.case.provider, HF, router=True)
    submitted = await _submit(http, family, target)
    polls = [await _poll(http, family, target, submitted) for _ in range(4)]
    queued, running, done, _ = family.statuses
    expected = [queued, running, done, done]
    if family.case.reader != "novita":  # novita's submit answers only the task id
        assert family.status(submitted) == queued
    assert [family.status(p) for p in polls] == [queued, *expected[1:]]
    if family.case.reader == "fal-queue":
        assert (submitted["queue_position"], polls[0]["queue_position"]) == (2, 1)
    job = server.jobs[family.job_id(submitted)]
    assert (job.polls, job.state, job.model) == (4, Done(), family.key)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.case.reader)
async def test_failed_job_carries_the_provider_message(
    server: LocalInferenceServer, http: aiohttp.ClientSession, family: JobFamily
) -> None:
    server.job_plan(family.key, Queued(0), Failed("CUDA out of memory on job"))
    target = Target(server.url, family.case.provider, HF, router=True)
    submitted = await _submit(http, family, target)
    answer = await _poll(http, family, target, submitted)
    assert family.status(answer) == family.statuses[3]
    assert family.error(answer) == "CUDA out of memory on job"
    assert family.job_id(submitted) in server.jobs
    if family.case.reader == "fal-queue":
        async with http.get(
            target.follow(submitted["response_url"], "?_subdomain=queue"), headers=HF
        ) as r:
            assert (r.status, await r.json()) == (500, {"detail": "CUDA out of memory on job"})


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.case.reader)
async def test_queued_forever_and_5xx_while_polling(
    server: LocalInferenceServer, http: aiohttp.ClientSession, family: JobFamily
) -> None:
    server.job_plan(family.key, Queued(3), Reply(503, {"error": "upstream busy"}), Queued(3))
    target = Target(server.url, family.case.provider, HF, router=True)
    submitted = await _submit(http, family, target)
    async with http.get(family.poll_url(target, submitted), headers=HF) as response:
        assert (response.status, await response.json()) == (503, {"error": "upstream busy"})
    for _ in range(5):
        answer = await _poll(http, family, target, submitted)
        assert family.status(answer) == family.statuses[0]
    assert server.jobs[family.job_id(submitted)].polls == 6


async def test_job_plan_rejects_a_plan_without_a_first_phase(server: LocalInferenceServer) -> None:
    with pytest.raises(ValueError, match="starts with the phase"):
        server.job_plan("fal-ai")
    with pytest.raises(ValueError, match="starts with the phase"):
        server.job_plan("fal-ai", Reply(500), Done())
    with pytest.raises(TypeError, match="not a job phase"):
        server.job_plan("fal-ai", Queued(), "done")  # type: ignore[arg-type]


async def test_plan_keys_from_model_to_provider_to_any(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    server.job_plan("*", Done())
    server.job_plan("replicate", Running())
    server.job_plan("black-forest-labs/flux-schnell", Failed("model-level"))
    target = Target(server.url, "replicate", HF, router=True)
    answers = []
    for model in ("black-forest-labs/flux-schnell", "black-forest-labs/flux-dev"):
        async with http.post(
            target.url(f"/v1/models/{model}/predictions"), json={"input": PROMPT}, headers=HF
        ) as r:
            answers.append((await r.json())["status"])
    wavespeed = await _submit(http, FAMILIES[2], Target(server.url, "wavespeed", HF, router=True))
    assert answers == ["failed", "processing"]
    assert wavespeed["data"]["status"] == "completed"


async def test_fal_queue_urls_point_at_the_queue_host_not_the_router(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    family = FAMILIES[0]
    target = Target(server.url, "fal-ai", HF, router=True)
    submitted = await _submit(http, family, target)
    job = submitted["request_id"]
    assert submitted["status_url"] == f"https://queue.fal.run/fal-ai/wan-t2v/requests/{job}/status"
    assert submitted["response_url"] == f"https://queue.fal.run/fal-ai/wan-t2v/requests/{job}"
    # Through the router the queue paths need ?_subdomain=queue; fal.run has no such route.
    path = urlsplit(submitted["status_url"]).path
    async with http.get(f"{server.url}/fal-ai{path}", headers=HF) as response:
        assert response.status == 405
    async with http.get(f"{server.url}/fal-ai{path}?_subdomain=queue", headers=HF) as response:
        assert (await response.json())["status"] == "IN_PROGRESS"


async def test_fal_queue_urls_name_the_app_not_the_model(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    model = "fal-ai/wan/v2.1/1.3b/text-to-video"
    url = f"{server.url}/fal-ai/{model}?_subdomain=queue"
    async with http.post(url, json=PROMPT, headers=HF) as response:
        submitted = await response.json()
    job = submitted["request_id"]
    assert urlsplit(submitted["response_url"]).path == f"/fal-ai/wan/requests/{job}"
    wrong = f"{server.url}/fal-ai/{model}/requests/{job}/status?_subdomain=queue"
    async with http.get(wrong, headers=HF) as response:
        assert response.status == 404
    assert server.jobs[job].polls == 0


async def test_a_client_that_keeps_the_queue_host_meets_a_host_that_refuses_hf_tokens(
    http: aiohttp.ClientSession,
) -> None:
    async with (
        LocalInferenceServer(as_provider="fal-ai-queue") as queue,
        LocalInferenceServer(queue_host=queue.url) as router,
    ):
        submitted = await _submit(http, FAMILIES[0], Target(router.url, "fal-ai", HF, router=True))
        assert submitted["status_url"].startswith(queue.url + "/fal-ai/wan-t2v/requests/")
        async with http.get(submitted["status_url"], headers=HF) as response:
            assert response.status == 401
        assert queue.requests[-1].headers["authorization"] == HF["Authorization"]


async def test_fal_direct_queue_urls_point_at_the_host_itself(http: aiohttp.ClientSession) -> None:
    key = {"Authorization": "Key fal-key"}
    async with LocalInferenceServer(as_provider="fal-ai-queue") as queue:
        target = Target(queue.url, "fal-ai", key, router=False)
        submitted = await _submit(http, FAMILIES[0], target, key)
        assert submitted["status_url"].startswith(queue.url + "/fal-ai/wan-t2v/requests/")
        async with http.get(submitted["status_url"], headers=key) as response:
            assert (await response.json())["status"] == "IN_PROGRESS"


async def test_cancel_a_queued_fal_job_while_it_is_polled(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    server.job_plan("fal-ai/wan-t2v", Queued(4))  # queued for ever
    target = Target(server.url, "fal-ai", HF, router=True)
    submitted = await _submit(http, FAMILIES[0], target)
    job = submitted["request_id"]

    async def poll_until_cancelled() -> list[str]:
        seen = []
        while True:
            answer = await _get(
                http, target.follow(submitted["status_url"], "?_subdomain=queue"), HF
            )
            seen.append(answer["status"])
            if answer.get("error"):
                return seen

    poller = asyncio.create_task(poll_until_cancelled())
    assert await server.job_polled(job) == job
    cancel = target.follow(submitted["cancel_url"], "?_subdomain=queue")
    async with http.put(cancel, headers=HF) as response:
        assert (response.status, await response.json()) == (
            202,
            {"status": "CANCELLATION_REQUESTED"},
        )
    seen = await poller
    assert seen[-1] == "COMPLETED" and set(seen[:-1]) <= {"IN_QUEUE"}
    async with http.put(cancel, headers=HF) as response:
        assert (response.status, await response.json()) == (400, {"status": "ALREADY_COMPLETED"})
    assert server.cancelled_jobs == [job, job]
    cancels = [r for r in server.requests if r.route == "fal-cancel"]
    assert [r.job for r in cancels] == [job, job]
    await http.close()
    await server.wait_connections(0)


async def test_cancel_a_replicate_prediction(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    server.job_plan("replicate", Queued(), Running())
    target = Target(server.url, "replicate", HF, router=True)
    submitted = await _submit(http, FAMILIES[1], target)
    async with http.post(target.follow(submitted["urls"]["cancel"]), headers=HF) as response:
        assert (await response.json())["status"] == "canceled"
    assert (await _poll(http, FAMILIES[1], target, submitted))["status"] == "canceled"
    assert server.cancelled_jobs == [submitted["id"]]


async def test_replicate_prefer_wait_honoured_or_not(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    url = f"{server.url}/replicate/v1/models/black-forest-labs/flux-schnell/predictions"
    body = {"input": PROMPT}
    async with http.post(url, json=body, headers={**HF, "Prefer": "wait"}) as response:
        assert response.status == 201 and response.headers["Preference-Applied"] == "wait=60"
        waited = await response.json()
    async with http.post(url, json=body, headers=HF) as response:
        plain = await response.json()
    server.job_plan("replicate", Queued(), Running(), Done(), honour_wait=False)
    async with http.post(url, json=body, headers={**HF, "Prefer": "wait=10"}) as response:
        assert "Preference-Applied" not in response.headers
        ignored = await response.json()
    assert waited["status"] == "succeeded" and waited["output"][0].endswith(".png")
    assert (plain["status"], plain["output"]) == ("starting", None)
    assert ignored["status"] == "starting"


async def test_replicate_versioned_predictions_and_validation(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    version = "3ab86df6c8f54c11309d4d1f930ac292bad43ace52d10c80d87eb258b3c9f79c"
    url = f"{server.url}/replicate/v1/predictions"
    audio = {"audio": "data:audio/wav;base64," + WAV_B64}
    async with http.post(
        url, json={"version": version, "input": audio}, headers={**HF, "Prefer": "wait"}
    ) as r:
        answer = await r.json()
    assert answer["model"] == "vaibhavs10/incredibly-fast-whisper"
    assert answer["version"] == version
    assert answer["output"]["transcription"]
    for body, message in (
        ({"input": audio}, "version is required"),
        (
            {"version": version, "input": audio, "provider": "replicate"},
            "Additional property provider",
        ),
        ({"version": version}, "input is required"),
    ):
        async with http.post(url, json=body, headers=HF) as r:
            assert r.status == 422
            assert message in (await r.json())["detail"]


# -- media -------------------------------------------------------------------------------------


async def test_broken_media_answers_404_for_that_model_only(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    server.break_media("fal-ai/flux/schnell")
    url = f"{server.url}/fal-ai/fal-ai/flux/schnell"
    async with http.post(url, json=PROMPT, headers=HF) as response:
        broken = (await response.json())["images"][0]["url"]
    async with http.post(
        f"{server.url}/fal-ai/fal-ai/flux/dev", json=PROMPT, headers=HF
    ) as response:
        fine = (await response.json())["images"][0]["url"]
    async with http.get(broken) as response:
        assert response.status == 404
    assert (await _media(http, fine)).startswith(PNG)


async def test_media_sizes_and_hosts(http: aiohttp.ClientSession) -> None:
    async with (
        LocalInferenceServer() as cdn,
        LocalInferenceServer(media_host=cdn.url) as router,
    ):
        body = {"prompt": "x", "image_size": {"width": 32, "height": 16}}
        async with http.post(
            f"{router.url}/fal-ai/fal-ai/flux/schnell", json=body, headers=HF
        ) as r:
            image = (await r.json())["images"][0]
        assert image["url"].startswith(cdn.url + "/_media/")
        data = await _media(http, image["url"])
        assert (image["width"], image["height"], data[16:24]) == (
            32,
            16,
            bytes([0, 0, 0, 32, 0, 0, 0, 16]),
        )
        assert image["file_size"] == len(data)
        async with http.get(cdn.url + "/_media/nothing.png") as r:
            assert r.status == 404


# -- streams and odd bodies ------------------------------------------------------------------------


async def test_provider_chat_and_completion_streams(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    chat = {**_chat("groq", "").body, "stream": True}
    async with http.post(
        f"{server.url}/groq/openai/v1/chat/completions", json=chat, headers=HF
    ) as r:
        assert r.content_type == "text/event-stream"
        text = (await r.read()).decode()
    assert text.startswith("data: {") and text.endswith("data: [DONE]\n\n")
    completion = {"model": "m", "prompt": "Paris is", "max_tokens": 3, "stream": True}
    async with http.post(f"{server.url}/together/v1/completions", json=completion, headers=HF) as r:
        events = (await r.read()).decode().split("\n\n")
    assert len(events) == 5 and events[3] == "data: [DONE]"
    assert '"finish_reason":"length"' in events[2]


async def test_provider_validation_errors(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{server.url}/together/v1/chat/completions", json={"messages": []}, headers=HF
    ) as r:
        assert r.status == 422
        assert "`model`" in (await r.json())["error"]["message"]
    async with http.post(
        f"{server.url}/fal-ai/fal-ai/whisper", json={"prompt": "x"}, headers=HF
    ) as r:
        assert r.status == 422
        assert "`audio_url`" in (await r.json())["detail"]
    async with http.post(
        f"{server.url}/deepinfra/v1/openai/audio/transcriptions", data=b"x", headers=HF
    ) as r:
        assert r.status == 400


async def test_wait_request_times_out_with_a_clear_error(server: LocalInferenceServer) -> None:
    with pytest.raises(TimeoutError, match=r"no matching request in 0\.05s"):
        await server.wait_request(lambda r: r.route == "hub", timeout=0.05)


@pytest.mark.parametrize(
    ("task", "body", "key", "check"),
    [
        ("text-to-audio", PROMPT, "audio", b"RIFF"),
        ("audio-to-audio", {"audio_url": "data:audio/x-wav;base64," + WAV_B64}, "audio", b"RIFF"),
        ("image-text-to-image", {"image_url": IMAGE_URL, "prompt": "x"}, "images", PNG),
        (
            "image-text-to-video",
            {"image_url": IMAGE_URL, "prompt": "x"},
            "video",
            b"\x00\x00\x00 ftyp",
        ),
    ],
)
async def test_fal_tasks_huggingface_js_adds_take_their_task_from_the_mapping(
    server: LocalInferenceServer,
    http: aiohttp.ClientSession,
    task: str,
    body: dict[str, Any],
    key: str,
    check: bytes,
) -> None:
    server.map_model(
        "acme/" + task, [{"provider": "fal-ai", "providerId": "acme/" + task, "task": task}]
    )
    server.job_plan("acme/" + task, Done())
    case = Case("fal-ai", task, "/acme/" + task, body, "fal-queue", host="fal-ai-queue")
    target = Target(server.url, "fal-ai", HF, router=True)
    async with http.post(target.url(case.route, "?_subdomain=queue"), json=body, headers=HF) as r:
        submitted = await _json(r)
    result_url = target.follow(submitted["response_url"], "?_subdomain=queue")
    result = await _get(http, result_url, HF)
    media = result[key][0] if key == "images" else result[key]
    assert (await _media(http, media["url"])).startswith(check)


async def test_a_connection_reset_while_polling(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    family = FAMILIES[1]
    # Headers, then a reset: aiohttp would resend a GET dropped before any answer.
    server.job_plan(family.key, Queued(), Drop(after_chunks=[b'{"id":']), Done())
    target = Target(server.url, "replicate", HF, router=True)
    submitted = await _submit(http, family, target)
    with pytest.raises(aiohttp.ClientError):
        await _poll(http, family, target, submitted)
    assert (await _poll(http, family, target, submitted))["status"] == "succeeded"
    assert server.jobs[submitted["id"]].polls == 2
    await http.close()
    await server.wait_connections(0)


@pytest.mark.parametrize(
    ("route", "body"),
    [
        (
            "/groq/openai/v1/chat/completions",
            _chat("groq", "", "meta-llama/Llama-3.1-8B-Instruct").body,
        ),
        ("/fal-ai/black-forest-labs/FLUX.1-schnell", PROMPT),
        ("/replicate/v1/models/black-forest-labs/FLUX.1-schnell/predictions", {"input": PROMPT}),
    ],
)
async def test_a_hub_model_id_sent_unmapped_to_a_provider_is_unknown_there(
    server: LocalInferenceServer, http: aiohttp.ClientSession, route: str, body: dict[str, Any]
) -> None:
    async with http.post(server.url + route, json=body, headers=HF) as response:
        assert response.status == 404
        answer = await response.json()
    message = answer["detail"] if "detail" in answer else answer["error"]["message"]
    assert "does not exist on" in message and "its id there is" in message


async def test_media_downloads_take_script_steps(
    server: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    huge = b"\x89PNG" + bytes(3_000_000)
    server.script("media", Reply(200, huge, content_type="image/png"))
    async with http.post(f"{server.url}/fal-ai/fal-ai/flux/schnell", json=PROMPT, headers=HF) as r:
        url = (await r.json())["images"][0]["url"]
    assert await _media(http, url) == huge
    assert (await _media(http, url)).startswith(PNG) and len(await _media(http, url)) < 10_000
