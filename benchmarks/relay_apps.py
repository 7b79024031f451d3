"""The relay app of ``python -m benchmarks relay``, written three ways, run under uvicorn.

Each is what a user of that library would write: a WebSocket route that reads
``{"messages": [...], "max_tokens": N}``, streams the chat completion from the upstream and
sends ``{"type": "token", "text": ...}`` per token, then ``{"type": "done", ...}`` and closes.

* ``hf_inference``: the integration helpers (``lifespan``, ``get_client``, ``pump_to_websocket``);
* ``huggingface_hub``: ``AsyncInferenceClient.chat_completion(stream=True)`` and
  ``websocket.send_json`` per token;
* ``openai``: ``AsyncOpenAI.chat.completions.create(stream=True)`` and ``send_json`` per token;
* ``floor``: no client library, the least a Python relay on this server stack can do: aiohttp
  reads the body, each ``data:`` line is decoded by msgspec into just the delta's content,
  ``send_text`` per token. What is left above it is the cost of a client.

``python -m benchmarks.relay_apps --kind hf_inference --upstream URL --port 0`` prints the port
it bound, then serves until stdin closes. Every upstream request carries ``--header`` values
(the load server's pacing and stamping knobs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

MODEL = "bench/model"
KINDS = ("hf_inference", "huggingface_hub", "openai", "floor")


class Delta(msgspec.Struct):
    content: str | None = None


class Choice(msgspec.Struct):
    delta: Delta


class Chunk(msgspec.Struct):
    """Just what the floor relay reads of a chat chunk."""

    choices: list[Choice]


def model_url(upstream: str) -> str:
    return f"{upstream}/hf-inference/models/{MODEL}"


def hf_inference_app(upstream: str, headers: dict[str, str]) -> Starlette:
    from hf_inference.integrations.starlette import get_client, lifespan, pump_to_websocket

    async def relay(websocket: WebSocket) -> None:
        await websocket.accept()
        request = await websocket.receive_json()
        stream = get_client(websocket).chat_completion_stream(
            request["messages"], model=MODEL, max_tokens=request["max_tokens"]
        )
        await pump_to_websocket(stream, websocket, coalesce=True)

    return Starlette(
        routes=[WebSocketRoute("/ws", relay)],
        lifespan=lifespan(
            token=False, base_url=f"{upstream}/hf-inference", headers=headers, max_retries=0
        ),
    )


def _app_with(
    open_client: Callable[[], Any], relay_with: Callable[[Any, WebSocket, dict[str, Any]], Any]
) -> Starlette:
    """A relay app around a peer client opened at startup and closed at shutdown."""
    clients: list[Any] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        clients.append(open_client())
        try:
            yield
        finally:
            await clients[0].close()

    async def relay(websocket: WebSocket) -> None:
        await websocket.accept()
        request = await websocket.receive_json()
        await relay_with(clients[0], websocket, request)
        await websocket.close(1000)

    return Starlette(routes=[WebSocketRoute("/ws", relay)], lifespan=lifespan)


def huggingface_hub_app(upstream: str, headers: dict[str, str]) -> Starlette:
    from huggingface_hub import AsyncInferenceClient

    async def relay_with(client: Any, websocket: WebSocket, request: dict[str, Any]) -> None:
        pieces = []
        stream = await client.chat_completion(
            request["messages"], max_tokens=request["max_tokens"], stream=True
        )
        async for chunk in stream:
            text = chunk.choices[0].delta.content if chunk.choices else None
            if text:
                pieces.append(text)
                await websocket.send_json({"type": "token", "text": text})
        await websocket.send_json({"type": "done", "text": "".join(pieces)})

    return _app_with(
        lambda: AsyncInferenceClient(model_url(upstream), token="hf_bench", headers=headers),
        relay_with,
    )


def openai_app(upstream: str, headers: dict[str, str]) -> Starlette:
    from openai import AsyncOpenAI

    async def relay_with(client: Any, websocket: WebSocket, request: dict[str, Any]) -> None:
        pieces = []
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=request["messages"],
            max_tokens=request["max_tokens"],
            stream=True,
        )
        async for chunk in stream:
            text = chunk.choices[0].delta.content if chunk.choices else None
            if text:
                pieces.append(text)
                await websocket.send_json({"type": "token", "text": text})
        await websocket.send_json({"type": "done", "text": "".join(pieces)})

    return _app_with(
        lambda: AsyncOpenAI(
            base_url=f"{model_url(upstream)}/v1",
            api_key="hf_bench",
            max_retries=0,
            default_headers=headers,
        ),
        relay_with,
    )


def floor_app(upstream: str, headers: dict[str, str]) -> Starlette:
    import aiohttp

    decode = msgspec.json.Decoder(Chunk).decode
    encode = msgspec.json.Encoder().encode
    url = f"{model_url(upstream)}/v1/chat/completions"

    async def relay_with(
        session: aiohttp.ClientSession, websocket: WebSocket, request: dict[str, Any]
    ) -> None:
        body = {"model": MODEL, "stream": True, **request}
        pieces = []
        async with session.post(url, data=encode(body), headers=headers) as response:
            buffer = b""
            async for data in response.content.iter_any():
                *events, buffer = (buffer + data).split(b"\n\n")
                for event in events:
                    payload = event[6:]  # b"data: "
                    if payload == b"[DONE]":
                        break
                    choices = decode(payload).choices
                    text = choices[0].delta.content if choices else None
                    if text:
                        pieces.append(text)
                        await websocket.send_text(encode({"type": "token", "text": text}).decode())
        await websocket.send_text(encode({"type": "done", "text": "".join(pieces)}).decode())

    def open_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    return _app_with(open_session, relay_with)


APPS: dict[str, Callable[[str, dict[str, str]], Starlette]] = {
    "hf_inference": hf_inference_app,
    "huggingface_hub": huggingface_hub_app,
    "openai": openai_app,
    "floor": floor_app,
}


async def serve(kind: str, upstream: str, headers: dict[str, str], port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    # The same server stack for the three: asyncio's loop, h11, the sans-I/O websockets.
    config = uvicorn.Config(
        APPS[kind](upstream, headers),
        loop="asyncio",
        http="h11",
        ws="websockets-sansio",
        log_config=None,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    loop = asyncio.get_running_loop()

    def wait_for_eof() -> None:  # the harness holds our stdin: when it goes, so do we
        sys.stdin.read()
        loop.call_soon_threadsafe(setattr, server, "should_exit", True)

    threading.Thread(target=wait_for_eof, daemon=True).start()
    # Listening already: connections wait in the backlog until uvicorn has started.
    print(sock.getsockname()[1], flush=True)
    await server.serve([sock])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--upstream", required=True, help="the load server's URL")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--header", action="append", default=[], help="NAME=VALUE upstream")
    args = parser.parse_args(argv)
    headers = dict(h.split("=", 1) for h in args.header)
    asyncio.run(serve(args.kind, args.upstream, headers, args.port))


if __name__ == "__main__":
    main()
