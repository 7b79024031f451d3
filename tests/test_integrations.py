"""The Starlette/FastAPI helpers and examples/fastapi_app.py under a real uvicorn server.

The app's upstream is the local API server; browsers are played by aiohttp's HTTP and
WebSocket clients. FastAPI and uvicorn are optional: without them this module is skipped.
"""

from __future__ import annotations

import importlib.util
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

import aiohttp  # noqa: E402
import anyio  # noqa: E402
import msgspec  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route, WebSocketRoute  # noqa: E402
from starlette.websockets import WebSocket  # noqa: E402

from hf_inference import AsyncInferenceClient, Timeout  # noqa: E402
from hf_inference.integrations.starlette import (  # noqa: E402
    get_client,
    lifespan,
    pump_to_websocket,
    sse_response,
    token_text,
)
from hf_inference.testing import ErrorEvent, LocalInferenceServer, Stall  # noqa: E402
from hf_inference.types import TextGenerationStreamOutput  # noqa: E402

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fastapi_app.py"
CHAT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
#: One TGI token event: what a stalled upstream sends before it goes silent.
FIRST_EVENT = (
    b'data:{"index":1,"token":{"id":1,"text":" Hi","logprob":-0.1,"special":false},'
    b'"generated_text":null,"details":null}\n\n'
)
# The sans-I/O websockets implementation: the legacy one warns about deprecation.
WS = "websockets-sansio" if "websockets-sansio" in uvicorn.config.WS_PROTOCOLS else "auto"
#: uvicorn's two HTTP/1.1 parsers: httptools is the one ``uvicorn[standard]`` brings and uses.
PARSERS = [
    pytest.param("h11", id="h11"),
    pytest.param(
        "httptools",
        id="httptools",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("httptools") is None, reason="httptools is not installed"
        ),
    ),
]


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_app_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@asynccontextmanager
async def serve(app: Any, parser: str = "auto") -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1; yield its URL."""
    # A socket already listening: requests queue in its backlog until uvicorn accepts them,
    # so there is nothing to wait for before the first request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_config=None,
        log_level="warning",
        ws=WS,
        http=parser,
        access_log=False,
    )
    server = uvicorn.Server(config)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve, [sock])
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                server.should_exit = True
    finally:
        sock.close()


@asynccontextmanager
async def example_app(
    server: LocalInferenceServer, parser: str = "auto", **kwargs: Any
) -> AsyncIterator[str]:
    app = load_example().create_app(base_url=server.base_url, **kwargs)
    with anyio.fail_after(20):
        async with serve(app, parser) as url:
            yield url


def sse_data(body: bytes) -> list[str]:
    return [
        line[len("data: ") :] for line in body.decode().split("\n") if line.startswith("data: ")
    ]


async def expected_tokens(server: LocalInferenceServer, prompt: str, n: int) -> list[str]:
    async with AsyncInferenceClient(False, base_url=server.base_url) as client:
        stream = client.text_generation_stream(
            prompt, model="gpt2", parameters={"max_new_tokens": n}
        )
        return [event.token.text async for event in stream]


# -- server-sent events -------------------------------------------------------------------------


async def test_sse_endpoint_streams_every_token_in_order(server: LocalInferenceServer) -> None:
    expected = await expected_tokens(server, "Hello", 12)
    async with (
        example_app(server) as url,
        aiohttp.ClientSession() as http,
        http.get(f"{url}/generate", params={"prompt": "Hello", "max_new_tokens": "12"}) as resp,
    ):
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert resp.headers["Cache-Control"] == "no-cache"
        assert resp.headers["X-Accel-Buffering"] == "no"
        body = await resp.read()
    data = sse_data(body)
    assert data[-1] == "[DONE]"
    events = [msgspec.json.decode(d, type=TextGenerationStreamOutput) for d in data[:-1]]
    assert [e.token.text for e in events] == expected
    assert events[-1].generated_text == "".join(expected)


async def test_sse_chat_endpoint_matches_the_upstream_stream(server: LocalInferenceServer) -> None:
    async with AsyncInferenceClient(False, base_url=server.base_url) as client:
        stream = client.chat_completion_stream(
            [{"role": "user", "content": "Hi there"}], model=CHAT_MODEL, max_tokens=8
        )
        expected = "".join([token_text(chunk) or "" async for chunk in stream])
    async with (
        example_app(server) as url,
        aiohttp.ClientSession() as http,
        http.get(f"{url}/chat", params={"message": "Hi there", "max_tokens": "8"}) as resp,
    ):
        body = await resp.read()
    data = sse_data(body)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == expected


async def test_client_disconnect_releases_the_upstream_connection(
    server: LocalInferenceServer,
) -> None:
    server.script("gpt2", Stall(after_chunks=[FIRST_EVENT]))
    async with example_app(server) as url, aiohttp.ClientSession() as http:
        resp = await http.get(f"{url}/generate", params={"prompt": "Hello"})
        first = await resp.content.readline()
        assert json.loads(first.removeprefix(b"data: "))["token"]["text"] == " Hi"
        await server.wait_connections(1)
        resp.close()  # the browser tab goes away while the upstream is silent
        await server.wait_connections(0)


async def test_upstream_error_mid_stream_becomes_an_error_event(
    server: LocalInferenceServer,
) -> None:
    server.script("gpt2", ErrorEvent(after_tokens=2, message="CUDA out of memory"))
    async with (
        example_app(server) as url,
        aiohttp.ClientSession() as http,
        http.get(f"{url}/generate", params={"prompt": "Hello"}) as resp,
    ):
        body = await resp.read()
    data = sse_data(body)
    assert len(data) == 3
    error = json.loads(data[-1])
    assert error.pop("request_id").startswith("local-")  # the upstream's, for support
    assert error == {"error": "CUDA out of memory", "error_type": "generation"}


async def test_upstream_http_error_becomes_a_502(server: LocalInferenceServer) -> None:
    async with (
        example_app(server, model="missing/model") as url,
        aiohttp.ClientSession() as http,
        http.get(f"{url}/generate", params={"prompt": "Hello"}) as resp,
    ):
        assert resp.status == 502
        payload = await resp.json()
    assert payload["error_type"] == "NotFoundError"
    assert "does not exist" in payload["error"]


async def test_upstream_timeout_becomes_a_504(server: LocalInferenceServer) -> None:
    # The upstream accepts the request and never answers: the first-byte limit passes.
    server.script("gpt2", Stall(send_headers=False))

    async def generate(request: Request) -> Response:
        client = get_client(request)
        return sse_response(client.text_generation_stream("Hi", model="gpt2"))

    app = Starlette(
        routes=[Route("/generate", generate)],
        lifespan=lifespan(base_url=server.base_url, timeout=Timeout(first_byte=0.2)),
    )
    with anyio.fail_after(20):
        async with (
            serve(app) as url,
            aiohttp.ClientSession() as http,
            http.get(f"{url}/generate") as resp,
        ):
            assert resp.status == 504
            payload = await resp.json()
    assert payload["error_type"] == "InferenceTimeoutError"
    assert "0.2 s" in payload["error"]
    await server.wait_connections(0)


async def test_keepalive_comments_while_the_upstream_is_silent(
    server: LocalInferenceServer,
) -> None:
    server.script("gpt2", Stall(after_chunks=[FIRST_EVENT]))

    async def generate(request: Request) -> Response:
        client = get_client(request)
        return sse_response(client.text_generation_stream("Hi", model="gpt2"), keepalive=0.05)

    app = Starlette(
        routes=[Route("/generate", generate)], lifespan=lifespan(base_url=server.base_url)
    )
    with anyio.fail_after(20):
        async with serve(app) as url, aiohttp.ClientSession() as http:
            resp = await http.get(f"{url}/generate")
            lines = [await resp.content.readline() for _ in range(4)]
            assert lines[0].startswith(b"data: ")
            assert lines[2:] == [b": keep-alive\n", b"\n"]
            resp.close()
            await server.wait_connections(0)


async def test_sse_response_takes_any_async_iterable(server: LocalInferenceServer) -> None:
    async def words(request: Request) -> Response:
        client = get_client(request)

        async def texts() -> AsyncIterator[str]:
            params = {"max_new_tokens": 4}
            async for event in client.text_generation_stream("Hi", model="gpt2", parameters=params):
                yield event.token.text.strip()

        return sse_response(texts(), done=False, headers={"X-Demo": "1"})

    app = Starlette(routes=[Route("/words", words)], lifespan=lifespan(base_url=server.base_url))
    with anyio.fail_after(20):
        async with (
            serve(app) as url,
            aiohttp.ClientSession() as http,
            http.get(f"{url}/words") as resp,
        ):
            assert resp.headers["X-Demo"] == "1"
            body = await resp.read()
    expected = [t.strip() for t in await expected_tokens(server, "Hi", 4)]
    assert [json.loads(d) for d in sse_data(body)] == expected


# -- WebSocket --------------------------------------------------------------------------------


@pytest.mark.parametrize("parser", PARSERS)
async def test_websocket_sends_a_frame_per_token_then_done(
    server: LocalInferenceServer, parser: str
) -> None:
    expected = await expected_tokens(server, "Hello", 10)
    async with (
        example_app(server, parser) as url,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{url}/ws/generate") as ws,
    ):
        await ws.send_json({"prompt": "Hello", "max_new_tokens": 10})
        frames = [json.loads(msg.data) async for msg in ws if msg.type is aiohttp.WSMsgType.TEXT]
        assert ws.close_code == 1000
    assert [f["text"] for f in frames[:-1]] == expected
    assert {f["type"] for f in frames[:-1]} == {"token"}
    # The app asks for details, so the last event says why generation ended.
    assert frames[-1] == {"type": "done", "text": "".join(expected), "finish_reason": "length"}


async def test_websocket_done_frame_carries_the_real_finish_reason(
    server: LocalInferenceServer,
) -> None:
    expected = await expected_tokens(server, "Hello", 10)
    stop = expected[1] + expected[2]  # generation stops once the text ends with these two
    async with (
        example_app(server) as url,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{url}/ws/generate") as ws,
    ):
        await ws.send_json({"prompt": "Hello", "max_new_tokens": 10, "stop": [stop]})
        frames = [json.loads(msg.data) async for msg in ws if msg.type is aiohttp.WSMsgType.TEXT]
        assert ws.close_code == 1000
    assert [f["text"] for f in frames[:-1]] == expected[:3]
    assert frames[-1] == {
        "type": "done",
        "text": "".join(expected[:3]),
        "finish_reason": "stop_sequence",
    }
    request = server.requests[-1]
    assert request.json is not None
    assert request.json["parameters"]["details"] is True


@pytest.mark.parametrize("parser", PARSERS)
async def test_websocket_bad_request_gets_an_error_frame_and_the_socket_stays_usable(
    server: LocalInferenceServer, parser: str
) -> None:
    bad: list[tuple[Any, list[str]]] = [
        ({"prompt": "Hello", "max_new_tokens": "ten"}, ["max_new_tokens", "integer", "'ten'"]),
        ({"prompt": "Hello", "max_tokens": 5}, ["max_tokens", "Extra inputs"]),
        ({"max_new_tokens": 5}, ["prompt", "Field required"]),
        ({"prompt": "Hello", "max_new_tokens": 0}, ["max_new_tokens", "greater than or equal"]),
        ("not json at all", ["Invalid JSON"]),
    ]
    expected = await expected_tokens(server, "Hello", 3)
    async with (
        example_app(server, parser) as url,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{url}/ws/generate") as ws,
    ):
        for request, words in bad:
            if isinstance(request, str):
                await ws.send_str(request)
            else:
                await ws.send_json(request)
            with anyio.fail_after(10):
                frame = await ws.receive_json()
            assert frame["type"] == "error"
            assert frame["error_type"] == "invalid_request"
            for word in words:
                assert word in frame["error"], frame
        # Still open: a corrected request is answered as usual.
        await ws.send_json({"prompt": "Hello", "max_new_tokens": 3})
        frames = [json.loads(msg.data) async for msg in ws if msg.type is aiohttp.WSMsgType.TEXT]
        assert ws.close_code == 1000
    assert [f["text"] for f in frames[:-1]] == expected
    assert frames[-1]["type"] == "done"
    # No invalid request reached the upstream.
    assert [r.json["inputs"] for r in server.requests if r.json] == ["Hello", "Hello"]


@pytest.mark.parametrize("parser", PARSERS)
async def test_websocket_upstream_error_closes_with_1011(
    server: LocalInferenceServer, parser: str
) -> None:
    server.script("gpt2", ErrorEvent(after_tokens=1, message="overloaded", error_type="overloaded"))
    async with (
        example_app(server, parser) as url,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{url}/ws/generate") as ws,
    ):
        await ws.send_json({"prompt": "Hello"})
        frames = [json.loads(msg.data) async for msg in ws if msg.type is aiohttp.WSMsgType.TEXT]
        assert ws.close_code == 1011
    assert [f["type"] for f in frames] == ["token", "error"]
    assert frames[-1]["error"] == "overloaded"
    assert frames[-1]["error_type"] == "overloaded"


@pytest.mark.parametrize("parser", PARSERS)
async def test_websocket_disconnect_releases_the_upstream_connection(
    server: LocalInferenceServer, parser: str
) -> None:
    server.script("gpt2", Stall(after_chunks=[FIRST_EVENT]))
    async with example_app(server, parser) as url, aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{url}/ws/generate")
        await ws.send_json({"prompt": "Hello"})
        first = await ws.receive_json()
        assert first == {"type": "token", "text": " Hi"}
        await server.wait_connections(1)
        await ws.close()
        await server.wait_connections(0)


def relay_app(server: LocalInferenceServer, **options: Any) -> Starlette:
    """A WebSocket route relaying 30 tokens of gpt2 with ``pump_to_websocket(**options)``."""

    async def relay(websocket: WebSocket) -> None:
        await websocket.accept()
        params = {"max_new_tokens": 30}
        stream = get_client(websocket).text_generation_stream("Hi", model="gpt2", parameters=params)
        await pump_to_websocket(stream, websocket, **options)

    return Starlette(
        routes=[WebSocketRoute("/ws", relay)], lifespan=lifespan(base_url=server.base_url)
    )


async def relay_frames(server: LocalInferenceServer, **options: Any) -> list[dict[str, Any]]:
    with anyio.fail_after(20):
        async with (
            serve(relay_app(server, **options)) as url,
            aiohttp.ClientSession() as http,
            http.ws_connect(f"{url}/ws") as ws,
        ):
            return [json.loads(m.data) async for m in ws if m.type is aiohttp.WSMsgType.TEXT]


async def test_websocket_coalesces_tokens_that_arrived_together(
    server: LocalInferenceServer,
) -> None:
    expected = await expected_tokens(server, "Hi", 30)
    # Unpaced, the local server writes the whole stream at once: one read holds every token.
    frames = await relay_frames(server, coalesce=True, send_start=True)
    assert frames[0]["type"] == "start"
    assert frames[0]["request_id"].startswith("local-")
    tokens = [f["text"] for f in frames if f["type"] == "token"]
    assert 1 <= len(tokens) < len(expected)  # fewer frames (socket writes) than tokens
    assert "".join(tokens) == "".join(expected)
    assert frames[-1]["type"] == "done"
    assert frames[-1]["text"] == "".join(expected)


async def test_websocket_coalescing_sends_what_came_before_an_error(
    server: LocalInferenceServer,
) -> None:
    server.script("gpt2", ErrorEvent(after_tokens=3, message="overloaded", error_type="overloaded"))
    frames = await relay_frames(server, coalesce=True)
    expected = await expected_tokens(server, "Hi", 3)
    assert "".join(f["text"] for f in frames[:-1]) == "".join(expected)
    assert {f["type"] for f in frames[:-1]} == {"token"}
    assert frames[-1]["type"] == "error"
    assert frames[-1]["error_type"] == "overloaded"
    assert frames[-1]["request_id"].startswith("local-")


# -- the shared client ------------------------------------------------------------------------


async def test_lifespan_creates_one_client_and_closes_it_at_shutdown(
    server: LocalInferenceServer,
) -> None:
    seen: list[AsyncInferenceClient] = []

    async def which(request: Request) -> Response:
        seen.append(get_client(request))
        return Response("ok")

    app = Starlette(routes=[Route("/", which)], lifespan=lifespan(base_url=server.base_url))
    with anyio.fail_after(20):
        async with serve(app) as url, aiohttp.ClientSession() as http:
            for _ in range(2):
                async with http.get(url) as resp:
                    assert await resp.text() == "ok"
    assert len(seen) == 2
    assert seen[0] is seen[1]
    assert seen[0].base_url == server.base_url
    assert seen[0].closed


async def test_get_client_without_the_lifespan_says_how_to_fix_it() -> None:
    async def which(request: Request) -> Response:
        with pytest.raises(RuntimeError, match="lifespan"):
            get_client(request)
        return Response("checked")

    app = Starlette(routes=[Route("/", which)])
    with anyio.fail_after(20):
        async with serve(app) as url, aiohttp.ClientSession() as http, http.get(url) as resp:
            assert await resp.text() == "checked"
