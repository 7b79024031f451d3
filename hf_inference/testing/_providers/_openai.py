"""OpenAI-compatible answers: chat, completions, embeddings, images, speech, transcriptions.

Most providers speak these routes (under their own prefix, see ``_table``); ``model`` in the
body is the provider's model id. Chat is the server's own chat completion (streams included).
"""

from __future__ import annotations

import base64
import itertools
import time
from typing import Any

from aiohttp import web

from .. import _chat
from .._base import encode
from .._text import embed
from ._call import Call, Handler

__all__ = ["SHAPES"]

_ids = itertools.count(1)
_EMBEDDING_DIM = 384


async def chat(call: Call) -> web.StreamResponse:
    return await call.chat(call.model, call.body)


def _completion_tokens(body: dict[str, Any], model: str, prompt: str) -> _chat.ChatAnswer:
    request = _chat.ChatRequest(model=model, messages=[{"role": "user", "content": prompt}])
    max_tokens = body.get("max_tokens", body.get("max_new_tokens"))
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens > 0:
        request.max_tokens = max_tokens
    request.seed = body.get("seed")
    return _chat.answer(request)


def _stopped(texts: list[str], stop: Any) -> tuple[list[str], str | None]:
    """The token texts cut before the first stop string (left out, as OpenAI does), and the
    string that matched (vLLM's ``stop_reason``), or None."""
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    stops = [s for s in stops if isinstance(s, str) and s]
    text = "".join(texts)
    hits = [(text.find(s), s) for s in stops if s in text]
    if not hits:
        return texts, None
    at, matched = min(hits)
    kept: list[str] = []
    done = 0
    for piece in texts:
        if done + len(piece) >= at:
            kept.append(piece[: at - done])
            break
        kept.append(piece)
        done += len(piece)
    return [piece for piece in kept if piece], matched


async def completions(call: Call) -> web.StreamResponse:
    model, prompt = call.model, call.field("prompt")
    body = call.body
    answer = _completion_tokens(body, model, prompt)
    texts, stop_reason = _stopped([token.text for token in answer.tokens], body.get("stop"))
    finish = "stop" if stop_reason is not None else answer.finish_reason
    created, ident = int(time.time()), f"cmpl-local-{next(_ids)}"
    head = {"id": ident, "object": "text_completion", "created": created, "model": model}
    usage = {
        "prompt_tokens": len(prompt.split()),
        "completion_tokens": len(texts),
        "total_tokens": len(prompt.split()) + len(texts),
    }
    ending: dict[str, Any] = {"finish_reason": finish, "stop_reason": stop_reason}
    if not body.get("stream"):
        choice = {"text": "".join(texts), "index": 0, "logprobs": None, **ending}
        return call.answer({**head, "choices": [choice], "usage": usage})
    texts = texts or [""]  # stopped before any text: the last chunk still says why
    last = len(texts) - 1
    events = [
        b"data: "
        + encode(
            {
                **head,
                "choices": [
                    {
                        "text": text,
                        "index": 0,
                        "logprobs": None,
                        **(ending if i == last else {"finish_reason": None}),
                    }
                ],
            }
        )
        + b"\n\n"
        for i, text in enumerate(texts)
    ]
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        # OpenAI's usage chunk: after the last choice, with no choices of its own.
        events.append(b"data: " + encode({**head, "choices": [], "usage": usage}) + b"\n\n")
    return await call.events(events, b"data: [DONE]\n\n")


async def embeddings(call: Call) -> web.StreamResponse:
    model, body = call.model, call.body
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else inputs
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise call.error(422, "field `input` must be a string or a non-empty list of strings")
    dim = body.get("dimensions")
    dim = dim if isinstance(dim, int) and 0 < dim <= 4096 else _EMBEDDING_DIM
    data = [
        {"object": "embedding", "index": i, "embedding": embed(text, dim, normalize=True)}
        for i, text in enumerate(texts)
    ]
    tokens = sum(len(t.split()) for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return call.answer({"object": "list", "data": data, "model": model, "usage": usage})


async def images(call: Call) -> web.StreamResponse:
    model, body = call.model, call.body
    with_image = "image_url" in body or "reference_images" in body
    if not with_image:
        call.field("prompt")
    task = "image-to-image" if with_image else "text-to-image"
    result = call.produce(task, body)
    assert result.media is not None
    item: dict[str, Any] = {"index": 0}
    if body.get("response_format") == "url":
        item["url"] = result.media.url
    else:
        item["b64_json"] = base64.b64encode(result.media.data).decode()
    return call.answer(
        {
            "id": f"img-local-{next(_ids)}",
            "model": model,
            "object": "list",
            "created": int(time.time()),
            "data": [item],
        }
    )


async def speech(call: Call) -> web.StreamResponse:
    model, text = call.model, call.field("input")
    result = call.produce("text-to-speech", {"model": model, "input": text, **call.body})
    assert result.media is not None
    return call.binary(result.media.data, result.media.content_type)


def _multipart(call: Call) -> dict[str, bytes]:
    """The fields of a multipart/form-data body (a small parser: tests send small bodies)."""
    content_type = call.headers.get("Content-Type", "")
    boundary = ""
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"')
    data = call.raw if call.raw is not None else b""
    if call.media_type != "multipart/form-data" or not boundary:
        raise call.error(400, "expected a multipart/form-data body with a `file` field")
    fields: dict[str, bytes] = {}
    for chunk in data.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.partition(b"\r\n\r\n")
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("content-disposition:") and 'name="' in line:
                name = line.split('name="', 1)[1].split('"', 1)[0]
                fields[name] = content[:-2] if content.endswith(b"\r\n") else content
    return fields


async def transcriptions(call: Call) -> web.StreamResponse:
    fields = _multipart(call)
    audio, model = fields.get("file"), fields.get("model")
    if not audio or not model:
        raise call.error(422, "fields `file` and `model` are required")
    result = call.produce(
        "automatic-speech-recognition",
        {"model": model.decode(errors="replace")},
        audio=base64.b64encode(audio).decode(),
    )
    segments = [
        {"id": i, "start": c["timestamp"][0], "end": c["timestamp"][1], "text": c["text"]}
        for i, c in enumerate(result.chunks)
    ]
    duration = segments[-1]["end"] if segments else 0.0
    return call.answer(
        {"text": result.text, "language": "en", "duration": duration, "segments": segments}
    )


SHAPES: dict[str, Handler] = {
    "chat": chat,
    "completions": completions,
    "embeddings": embeddings,
    "images": images,
    "speech": speech,
    "transcriptions": transcriptions,
}
