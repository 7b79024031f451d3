"""pytest plugin (entry point ``hf_inference``): a ``local_inference_server`` fixture.

Async tests run by anyio's pytest plugin can ask for a started server::

    pytestmark = pytest.mark.anyio

    async def test_it(local_inference_server):
        url = local_inference_server.base_url
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ._server import LocalInferenceServer


@pytest.fixture
async def local_inference_server() -> AsyncIterator[LocalInferenceServer]:
    """A started LocalInferenceServer, closed after the test."""
    async with LocalInferenceServer() as server:
        yield server
