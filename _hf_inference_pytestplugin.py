"""hf_inference's pytest plugin (entry point ``hf_inference``): a local server and a client.

pytest imports every installed plugin at start-up, in every project of the environment, so
this module is top-level and imports nothing of hf_inference (nor aiohttp): importing
``hf_inference.testing.plugin`` would run ``hf_inference/__init__`` first. The server and the
client are imported when a test first asks for them.

Two fixtures, for async tests run by anyio's plugin or by pytest-asyncio (strict or auto
mode)::

    @pytest.mark.anyio  # or @pytest.mark.asyncio
    async def test_my_app(inference_client, local_inference_server):
        local_inference_server.script("gpt2", Reply(status=503, body={"error": "busy"}))
        out = await inference_client.text_generation("hi", model="gpt2")

Each public fixture is a plain function that hands the test the matching async fixture of the
runner that runs it: anyio's plugin runs an ``async def`` fixture only for tests that use
``anyio_backend``, and pytest-asyncio in strict mode only fixtures it was told about, so one
fixture cannot serve both. The server and client must live on the test's own event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Literal, cast

import pytest

if TYPE_CHECKING:
    from hf_inference import AsyncInferenceClient
    from hf_inference.testing import LocalInferenceServer

#: The token the client sends (the server accepts any token unless told otherwise).
TOKEN = "hf_local_test"
#: pytest-asyncio's loop scopes: the server runs on the loop of the test that asks for it.
LOOP_SCOPES: tuple[Literal["function", "class", "module", "package", "session"], ...] = (
    "function",
    "class",
    "module",
    "package",
    "session",
)
_ASYNCIO_FIXTURES = "hf_inference-asyncio-fixtures"

__all__ = ["inference_client", "local_inference_server"]


@dataclass(frozen=True)
class _Harness:
    server: LocalInferenceServer
    client: AsyncInferenceClient


async def _harness() -> AsyncIterator[_Harness]:
    # The only place the heavy modules are imported: when a test asks for a fixture.
    from hf_inference import AsyncInferenceClient
    from hf_inference.testing import LocalInferenceServer

    async with LocalInferenceServer() as server:
        # No retries: a scripted fault shows at once. The session opens on first use.
        client = AsyncInferenceClient(TOKEN, base_url=server.base_url, max_retries=0)
        try:
            yield _Harness(server, client)
        finally:
            await client.aclose()


@pytest.fixture
async def _hf_inference_anyio() -> AsyncIterator[_Harness]:
    """The server and client on anyio's test loop."""
    async for harness in _harness():
        yield harness


def _asyncio_fixtures() -> ModuleType:
    """One fixture per pytest-asyncio loop scope (a module, to register as a plugin)."""
    import pytest_asyncio

    fixtures = ModuleType(_ASYNCIO_FIXTURES)
    for scope in LOOP_SCOPES:
        # A new function each time: pytest_asyncio.fixture marks the function object itself.
        async def on_asyncio_loop() -> AsyncIterator[_Harness]:
            async for harness in _harness():
                yield harness

        name = f"_hf_inference_asyncio_{scope}"
        setattr(
            fixtures, name, pytest_asyncio.fixture(on_asyncio_loop, loop_scope=scope, name=name)
        )
    return fixtures


def pytest_configure(config: pytest.Config) -> None:
    pm = config.pluginmanager
    if pm.hasplugin("asyncio") and not pm.hasplugin(_ASYNCIO_FIXTURES):
        pm.register(_asyncio_fixtures(), _ASYNCIO_FIXTURES)


def _asyncio_loop_scope(request: pytest.FixtureRequest) -> str | None:
    """The loop scope pytest-asyncio runs this test on, or None if it does not run it."""
    marker = request.node.get_closest_marker("asyncio")
    if marker is None:
        return None
    scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")
    if scope is None:
        try:
            scope = request.config.getini("asyncio_default_test_loop_scope")
        except ValueError:  # a pytest-asyncio without this option: function-scoped loops
            scope = None
    return str(scope or "function")


def _harness_for(request: pytest.FixtureRequest, fixture: str) -> _Harness:
    if "anyio_backend" in request.fixturenames:
        return cast(_Harness, request.getfixturevalue("_hf_inference_anyio"))
    scope = _asyncio_loop_scope(request)
    if scope is not None and request.config.pluginmanager.hasplugin(_ASYNCIO_FIXTURES):
        return cast(_Harness, request.getfixturevalue(f"_hf_inference_asyncio_{scope}"))
    pytest.fail(
        f"{fixture} runs on the test's event loop, and no async test runner runs this test. "
        "Mark it @pytest.mark.anyio (anyio's pytest plugin, installed with anyio) or "
        "@pytest.mark.asyncio (pytest-asyncio; or set asyncio_mode = auto), and make the "
        "test an async def.",
        pytrace=False,
    )


@pytest.fixture
def local_inference_server(request: pytest.FixtureRequest) -> LocalInferenceServer:
    """A started LocalInferenceServer on the test's event loop, closed after the test."""
    return _harness_for(request, "local_inference_server").server


@pytest.fixture
def inference_client(request: pytest.FixtureRequest) -> AsyncInferenceClient:
    """An AsyncInferenceClient bound to ``local_inference_server``, closed after the test.

    It sends the token ``hf_local_test`` and does not retry, so scripted faults show at once.
    """
    return _harness_for(request, "inference_client").client
