"""pytest plugin (entry point ``hf_inference``): a running local server and a client bound to it.

Async tests run by anyio's pytest plugin can ask for them::

    pytestmark = pytest.mark.anyio

    async def test_my_app(inference_client, local_inference_server):
        local_inference_server.script("gpt2", Reply(status=503, body={"error": "busy"}))
        out = await inference_client.text_generation("hi", model="gpt2")

The client talks to the server over real sockets, has no retries (faults show at once) and
uses the token ``hf_local_test``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from ._server import LocalInferenceServer

if TYPE_CHECKING:
    from .._client import AsyncInferenceClient


@pytest.fixture
async def local_inference_server() -> AsyncIterator[LocalInferenceServer]:
    """A started LocalInferenceServer, closed after the test."""
    async with LocalInferenceServer() as server:
        yield server


@pytest.fixture
async def inference_client(
    local_inference_server: LocalInferenceServer,
) -> AsyncIterator[AsyncInferenceClient]:
    """An AsyncInferenceClient bound to ``local_inference_server``, closed after the test."""
    from .._client import AsyncInferenceClient

    async with AsyncInferenceClient(
        "hf_local_test", base_url=local_inference_server.base_url, max_retries=0
    ) as client:
        yield client
