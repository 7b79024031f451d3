"""Stream model tokens to browsers from FastAPI: server-sent events and a WebSocket.

Run it against the bundled local API server (no token, no network)::

    pip install hf-inference fastapi 'uvicorn[standard]'
    hf-inference serve --port 8080 &
    HF_INFERENCE_BASE_URL=http://127.0.0.1:8080/hf-inference uvicorn examples.fastapi_app:app

    curl -N 'http://127.0.0.1:8000/generate?prompt=Hello&max_new_tokens=20'
    curl -N 'http://127.0.0.1:8000/chat?message=Hello'

WebSocket ``/ws/generate``: send ``{"prompt": "...", "max_new_tokens": 20}``, receive
``{"type": "token", "text": ...}`` frames, then ``{"type": "done", ...}``.

Without ``HF_INFERENCE_BASE_URL`` (or ``HF_INFERENCE_ROUTER_URL``), read by the client as
everywhere in hf_inference, it talks to the real Inference API (set ``HF_TOKEN``).
``HF_INFERENCE_MODEL`` and ``HF_INFERENCE_CHAT_MODEL`` choose the models.
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import Depends, FastAPI, WebSocket
from starlette.responses import Response

from hf_inference import AsyncInferenceClient
from hf_inference.integrations.starlette import (
    get_client,
    lifespan,
    pump_to_websocket,
    sse_response,
)

#: One client per app, created at startup and closed at shutdown (see ``lifespan``).
Client = Annotated[AsyncInferenceClient, Depends(get_client)]


def create_app(
    base_url: str | None = None, model: str | None = None, chat_model: str | None = None
) -> FastAPI:
    """The app; arguments default to the ``HF_INFERENCE_*`` environment variables.

    ``base_url=None`` lets the client read ``HF_INFERENCE_BASE_URL``/``HF_INFERENCE_ROUTER_URL``
    itself, as every hf_inference client does.
    """
    model = model or os.environ.get("HF_INFERENCE_MODEL", "gpt2")
    chat_model = chat_model or os.environ.get(
        "HF_INFERENCE_CHAT_MODEL", "meta-llama/Llama-3.1-8B-Instruct"
    )
    app = FastAPI(title="hf_inference streaming example", lifespan=lifespan(base_url=base_url))

    @app.get("/generate")
    async def generate(prompt: str, client: Client, max_new_tokens: int = 64) -> Response:
        """Text generation as server-sent events (one ``data:`` line per token)."""
        stream = client.text_generation_stream(
            prompt, model=model, parameters={"max_new_tokens": max_new_tokens}
        )
        return sse_response(stream)

    @app.get("/chat")
    async def chat(message: str, client: Client, max_tokens: int = 64) -> Response:
        """A chat completion as server-sent events, ending with ``data: [DONE]``."""
        stream = client.chat_completion_stream(
            [{"role": "user", "content": message}], model=chat_model, max_tokens=max_tokens
        )
        return sse_response(stream)

    @app.websocket("/ws/generate")
    async def ws_generate(websocket: WebSocket, client: Client) -> None:
        """Receive one JSON request, stream its tokens back, close."""
        await websocket.accept()
        request = await websocket.receive_json()
        stream = client.text_generation_stream(
            str(request["prompt"]),
            model=model,
            parameters={"max_new_tokens": int(request.get("max_new_tokens", 64))},
        )
        await pump_to_websocket(stream, websocket)

    return app


app = create_app()
