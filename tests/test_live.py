"""Opt-in checks against the real Hugging Face API: they need HF_TOKEN and a network.

Skipped cleanly otherwise (the default run has neither). Run with ``pytest -m live``.
"""

from __future__ import annotations

import os
import socket

import pytest

from hf_inference import AsyncInferenceClient

pytestmark = [pytest.mark.anyio, pytest.mark.live]


def _reachable(host: str = "router.huggingface.co") -> bool:
    try:
        with socket.create_connection((host, 443), timeout=3):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def live_token() -> str:
    token = os.environ.get("HF_TOKEN")
    if not token:
        pytest.skip("live tests need HF_TOKEN")
    if not _reachable():
        pytest.skip("live tests need network access to router.huggingface.co")
    return token


async def test_live_chat_completion_stream(live_token: str) -> None:
    async with AsyncInferenceClient(live_token) as client:
        text = []
        async for chunk in client.chat_completion_stream(
            [{"role": "user", "content": "Say hello"}],
            model="meta-llama/Llama-3.1-8B-Instruct",
            max_tokens=10,
        ):
            if chunk.choices:
                text.append(chunk.choices[0].delta.content or "")
        assert "".join(text)


async def test_live_text_classification(live_token: str) -> None:
    async with AsyncInferenceClient(live_token) as client:
        labels = await client.text_classification(
            "I love this", model="distilbert/distilbert-base-uncased-finetuned-sst-2-english"
        )
        assert labels[0].label in {"POSITIVE", "NEGATIVE"}
