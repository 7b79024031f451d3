"""The chat app: one static page and two streaming routes, built on the integration helpers.

* ``GET /``: the page (``static/index.html``, ``chat.js``, ``chat.css``: no build step, no
  CDN, everything served from here);
* ``GET /config``: the model and mode the page shows;
* ``WS /ws/chat``: send ``{"messages": [...]}``, receive ``start`` (the upstream request id),
  ``token`` frames, then ``done`` or ``error`` (see ``pump_to_websocket``);
* ``POST /sse/chat``: the same request as JSON, answered as server-sent events (see
  ``sse_response``), the upstream request id in ``X-Request-Id``.

The client never retries and never waits for a loading model: the page shows the user what
happened (loading with its countdown, rate limit, broken stream) and lets them try again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from fastapi import Depends, FastAPI, Request, WebSocket
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.websockets import WebSocketDisconnect

from hf_inference import AsyncInferenceClient
from hf_inference.integrations.starlette import (
    get_client,
    lifespan,
    pump_to_websocket,
    sse_response,
)

STATIC = Path(__file__).resolve().parent / "static"
PAGES = {"chat.js": "text/javascript", "chat.css": "text/css"}
#: A WebSocket closed because the request was malformed (RFC 6455: policy violation).
CLOSE_BAD_REQUEST = 1008

Client = Annotated[AsyncInferenceClient, Depends(get_client)]


class Message(msgspec.Struct, frozen=True):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(msgspec.Struct, frozen=True):
    """What the page sends: the conversation so far, the user's last message at the end."""

    messages: list[Message]


def _bad_request(exc: Exception) -> dict[str, Any]:
    return {"error": f"invalid chat request: {exc}", "error_type": "InvalidInputError"}


def create_app(
    *,
    base_url: str | None = None,
    token: str | bool | None = None,
    model: str,
    provider: str | None = None,
    max_tokens: int = 256,
    mode: str = "api",
) -> FastAPI:
    """The app streaming ``model``'s replies; ``mode`` is only shown on the page."""
    app = FastAPI(
        title="hf_inference chat",
        lifespan=lifespan(
            token=token,
            base_url=base_url,
            provider=provider,
            max_retries=0,
            wait_for_model=False,
        ),
    )

    def stream(client: AsyncInferenceClient, request: ChatRequest) -> Any:
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        return client.chat_completion_stream(messages, model=model, max_tokens=max_tokens)

    @app.get("/")
    async def page() -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}")
    async def asset(name: str) -> Response:
        if name not in PAGES:
            return JSONResponse({"error": "Not Found"}, 404)
        return FileResponse(STATIC / name, media_type=PAGES[name])

    @app.get("/config")
    async def config() -> dict[str, Any]:
        return {"model": model, "mode": mode, "max_tokens": max_tokens}

    @app.websocket("/ws/chat")
    async def ws_chat(websocket: WebSocket, client: Client) -> None:
        await websocket.accept()
        try:
            request = msgspec.json.decode(await websocket.receive_text(), type=ChatRequest)
        except WebSocketDisconnect:
            return
        except msgspec.DecodeError as exc:  # ValidationError included
            await websocket.send_json({"type": "error", **_bad_request(exc)})
            await websocket.close(CLOSE_BAD_REQUEST)
            return
        await pump_to_websocket(stream(client, request), websocket, send_start=True, coalesce=True)

    @app.post("/sse/chat")
    async def sse_chat(http: Request, client: Client) -> Response:
        try:
            request = msgspec.json.decode(await http.body(), type=ChatRequest)
        except msgspec.DecodeError as exc:
            return JSONResponse(_bad_request(exc), 422)
        return sse_response(stream(client, request))

    return app
