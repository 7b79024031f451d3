"""Real provider answers (recorded provider traffic, ``provider_tapes.json``), replayed by the
local server through the client's provider shapes: every recorded answer decodes into the
task's type, every recorded error becomes its typed error with the provider's message.

The recordings are not this project's to ship: the file is looked for at
``$HF_INFERENCE_PROVIDER_TAPES``, else beside the recorded corpus (``shared/conformance/``),
and these tests skip without it."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from test_tasks import PNG, WAV

from hf_inference import (
    AsyncInferenceClient,
    BadRequestError,
    BinaryOutput,
    HTTPStatusError,
    IncompleteStreamError,
    UnprocessableEntityError,
)
from hf_inference import types as t
from hf_inference.testing import LocalInferenceServer
from hf_inference.testing._faults import Reply


def _tapes_file() -> Path | None:
    named = os.environ.get("HF_INFERENCE_PROVIDER_TAPES")
    places = [Path(named)] if named else []
    places += [
        Path(__file__).resolve().parents[2] / "shared" / "conformance" / "provider_tapes.json",
        Path("/work/shared/conformance/provider_tapes.json"),
    ]
    return next((place for place in places if place.is_file()), None)


TAPES_FILE = _tapes_file()
TAPES: list[dict[str, Any]] = (
    json.loads(TAPES_FILE.read_text())["cases"] if TAPES_FILE is not None else []
)
pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(TAPES_FILE is None, reason="no provider_tapes.json recordings here"),
]
HF = "hf_tape_token"
KEY = "openai-own-key"
CHAT = [{"role": "user", "content": "Complete the equation 1 + 1 = , just the answer"}]
ERRORS: dict[int, type[HTTPStatusError]] = {400: BadRequestError, 422: UnprocessableEntityError}
MEDIA_HOSTS = ("https://fal.media/", "https://replicate.delivery/")


def test_the_tapes_cover_every_shape_kind() -> None:
    kinds = {(c["provider"], c["task"]) for c in TAPES}
    assert {("fal-ai", "text-to-image"), ("replicate", "text-to-image")} <= kinds
    assert {("together", "text-generation"), ("fal-ai", "automatic-speech-recognition")} <= kinds
    assert {c["provider"] for c in TAPES if c["task"] == "conversational"} == {
        "cerebras", "cohere", "fireworks-ai", "novita", "openai", "together",
    }  # fmt: skip


def _recorded(case: dict[str, Any], server: LocalInferenceServer) -> Reply:
    body = case["body"]
    for host in MEDIA_HOSTS:
        body = body.replace(host, f"{server.url}/_media/recorded/")
    return Reply(case["status"], body.encode(), content_type=case["content_type"])


async def _call(client: AsyncInferenceClient, case: dict[str, Any], model: str) -> Any:
    task = case["task"]
    if task == "conversational":
        if "event-stream" in case["content_type"]:
            return [c async for c in client.chat_completion_stream(CHAT, model=model)]
        return await client.chat_completion(CHAT, model=model)
    if task == "text-generation":
        return await client.text_generation("Paris is", model=model)
    if task == "text-to-image":
        return await client.text_to_image("a cake", model=model)
    return await client.automatic_speech_recognition(WAV, model=model)


def _check(case: dict[str, Any], result: Any) -> None:
    recorded = json.loads(case["body"]) if "json" in case["content_type"] else None
    task = case["task"]
    if task == "conversational" and isinstance(result, list):
        assert result and all(isinstance(c, t.ChatCompletionStreamOutput) for c in result)
        assert "".join(c.choices[0].delta.content or "" for c in result if c.choices)
    elif task == "conversational":
        assert isinstance(result, t.ChatCompletionOutput)
        assert result.choices[0].message.content == recorded["choices"][0]["message"]["content"]
    elif task == "text-generation":
        assert result.generated_text == recorded["choices"][0]["text"]
    elif task == "automatic-speech-recognition":
        assert result.text == recorded["text"]
    elif case["provider"] == "together":
        assert result.data == base64.b64decode(recorded["data"][0]["b64_json"])
    else:
        assert isinstance(result, BinaryOutput) and result.data == PNG


@pytest.mark.parametrize("case", TAPES, ids=[c["name"] for c in TAPES])
async def test_recorded_provider_answer(case: dict[str, Any]) -> None:
    provider = case["provider"]
    direct = provider == "openai"  # direct-only: the user's own key at its own host
    async with (
        LocalInferenceServer(as_provider="openai" if direct else None) as server,
        AsyncInferenceClient(
            KEY if direct else HF,
            router_url=server.url,
            hub_url=server.url,
            provider=provider,
            provider_urls={provider: server.url} if direct else None,
            max_retries=0,
        ) as client,
    ):
        model = case["provider_id"] if direct else f"tapes/{case['name']}"
        if not direct:
            server.map_model(
                model,
                [{"provider": provider, "providerId": case["provider_id"], "task": case["task"]}],
            )
        server.script(case["provider_id"], _recorded(case, server))
        server.script_always("media", Reply(200, PNG, content_type="image/png"))
        if "event-stream" in case["content_type"] and not case["body"].endswith("\n\n"):
            # This recording's last event lacks its closing blank line (the recorder kept the
            # body trimmed, or the provider cut it): by the SSE rules it is incomplete, and the
            # client says so instead of guessing.
            with pytest.raises(IncompleteStreamError, match="in the middle of an event"):
                await _call(client, case, model)
        elif case["status"] >= 400:
            with pytest.raises(ERRORS[case["status"]]) as info:
                await _call(client, case, model)
            recorded = json.loads(case["body"])
            text = recorded.get("detail") or recorded.get("error")
            text = text.get("message") if isinstance(text, dict) else text
            assert str(text) in str(info.value)
        else:
            _check(case, await _call(client, case, model))
        polls = [r for r in server.requests if r.method == "GET" and "/_media/" not in r.path]
        assert [r.path for r in polls] == [f"/api/models/{model}"] * (not direct)
