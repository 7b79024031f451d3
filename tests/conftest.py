from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hf_inference import AsyncInferenceClient
from hf_inference.testing import LocalInferenceServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def server() -> AsyncIterator[LocalInferenceServer]:
    async with LocalInferenceServer() as srv:
        yield srv


@pytest.fixture
async def client(server: LocalInferenceServer) -> AsyncIterator[AsyncInferenceClient]:
    async with AsyncInferenceClient(
        "hf_test_token_0123456789", base_url=server.base_url, max_retries=0
    ) as c:
        yield c
