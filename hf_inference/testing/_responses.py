"""The Responses API (``POST /v1/responses``), as the router serves it, deterministic.

The text is the chat route's answer to the same input (``max_output_tokens`` sets its length).
A function tool in ``tools`` makes the answer a ``function_call`` item (arguments fitting its
``parameters`` schema); ``reasoning`` in the body adds a ``reasoning`` item first;
``text.format`` of type ``json_schema`` makes the text a JSON document fitting the schema.

Streamed (``"stream": true``), each event is a named SSE event whose ``type`` repeats the name:
``response.created``, ``response.in_progress``, then per item ``response.output_item.added``,
its deltas, ``response.output_item.done``, and ``response.completed`` (``response.incomplete``
when ``max_output_tokens`` cut the text). Knob: ``x-test-unknown-event: NAME`` (or
``?unknown_event=NAME``) sends an event of type ``NAME`` after ``response.created``, for
clients to prove that a type they do not know survives. Scripted failures:
:class:`ResponseFailure`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._base import JSON, encode
from ._chat import ChatRequest, answer, prompt_tokens
from ._faults import ResponseFailure
from ._generation import forced_tokens, sample_from_schema

if TYPE_CHECKING:
    from ._server import LocalInferenceServer

__all__ = [
    "ResponseFailure",
    "ResponsesRequest",
    "is_responses_path",
    "parse_responses",
    "response_events",
    "responses_model",
    "serve_responses",
]

PATH = "/v1/responses"
_REASONING = "The user asks something; a short, direct answer fits."


@dataclass
class ResponsesRequest:
    chat: ChatRequest
    instructions: str | None
    tool: dict[str, Any] | None
    reasoning: bool
    text_format: dict[str, Any] | None


def _messages(inputs: Any) -> list[dict[str, Any]]:
    if isinstance(inputs, str):
        return [{"role": "user", "content": inputs}]
    if isinstance(inputs, list):
        return [
            {"role": item.get("role", "user"), "content": item.get("content", "")}
            for item in inputs
            if isinstance(item, dict) and ("role" in item or "content" in item)
        ]
    return []


def parse_responses(body: Any, model: str) -> ResponsesRequest:
    body = body if isinstance(body, dict) else {}
    chat = ChatRequest(model=model, messages=_messages(body.get("input")))
    if isinstance(body.get("max_output_tokens"), int) and body["max_output_tokens"] > 0:
        chat.max_tokens = body["max_output_tokens"]
    chat.stream = bool(body.get("stream"))
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    tool = next(
        (t.get("function", t) for t in tools if t.get("type", "function") == "function"), None
    )
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    text_format = fmt if isinstance(fmt, dict) and fmt.get("type") == "json_schema" else None
    return ResponsesRequest(
        chat=chat,
        instructions=body.get("instructions"),
        tool=dict(tool) if tool is not None else None,
        reasoning=isinstance(body.get("reasoning"), dict),
        text_format=text_format,
    )


def _text_and_status(req: ResponsesRequest) -> tuple[list[str], str]:
    if req.text_format is not None:
        document = encode(sample_from_schema(req.text_format.get("schema"))).decode()
        return [token.text for token in forced_tokens(document)], "completed"
    ans = answer(req.chat)
    cut = req.chat.max_tokens is not None and ans.finish_reason == "length"
    return [token.text for token in ans.tokens], "incomplete" if cut else "completed"


def _items(req: ResponsesRequest) -> list[dict[str, Any]]:
    """The output items, complete, in order."""
    items: list[dict[str, Any]] = []
    if req.reasoning:
        items.append(
            {
                "type": "reasoning",
                "id": "rs_local_0",
                "summary": [],
                "content": [{"type": "reasoning_text", "text": _REASONING}],
                "status": "completed",
            }
        )
    if req.tool is not None:
        arguments = encode(sample_from_schema(req.tool.get("parameters"), "example")).decode()
        items.append(
            {
                "type": "function_call",
                "id": "fc_local_0",
                "call_id": "call_local_0",
                "name": str(req.tool.get("name", "tool")),
                "arguments": arguments,
                "status": "completed",
            }
        )
        return items
    text = "".join(_text_and_status(req)[0])
    items.append(
        {
            "type": "message",
            "id": "msg_local_0",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        }
    )
    return items


def response_object(
    req: ResponsesRequest,
    *,
    status: str | None = None,
    output: list[dict[str, Any]] | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    items = _items(req) if output is None else output
    pieces, natural = _text_and_status(req)
    final = status or natural
    usage = None
    if final in ("completed", "incomplete"):
        reasoning = len(_REASONING.split()) if req.reasoning else 0
        prompt = prompt_tokens(req.chat.messages)
        output_tokens = len(pieces) + reasoning
        usage = {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": prompt + output_tokens,
        }
    return {
        "id": "resp_local_0",
        "object": "response",
        "created_at": int(time.time()),
        "model": req.chat.model,
        "status": final,
        "error": error,
        "incomplete_details": {"reason": "max_output_tokens"} if final == "incomplete" else None,
        "instructions": req.instructions,
        "output": items,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [req.tool] if req.tool else [],
        "usage": usage,
    }


def response_events(
    req: ResponsesRequest,
    *,
    unknown_event: str | None = None,
    failure: ResponseFailure | None = None,
) -> list[bytes]:
    """Every event of the stream, each ``event: NAME`` + ``data: JSON`` + blank line."""
    sequence = itertools.count()
    events: list[bytes] = []

    def emit(kind: str, fields: dict[str, Any]) -> None:
        payload = {"type": kind, "sequence_number": next(sequence), **fields}
        events.append(b"event: %s\ndata: %s\n\n" % (kind.encode(), encode(payload)))

    emit("response.created", {"response": response_object(req, status="in_progress", output=[])})
    if unknown_event:
        emit(unknown_event, {"note": "an event type clients do not know yet"})
    emit(
        "response.in_progress", {"response": response_object(req, status="in_progress", output=[])}
    )
    done: list[dict[str, Any]] = []
    deltas = 0
    for index, item in enumerate(_items(req)):
        emit("response.output_item.added", {"output_index": index, "item": _opened(item)})
        for kind, fields in _item_events(req, item, index):
            if failure is not None and kind == "response.output_text.delta":
                if deltas == failure.after_deltas:
                    _fail(emit, req, failure, done)
                    return events
                deltas += 1
            emit(kind, fields)
        emit("response.output_item.done", {"output_index": index, "item": item})
        done.append(item)
    if failure is not None:
        _fail(emit, req, failure, done)
        return events
    final = response_object(req, output=done)
    emit(f"response.{final['status']}", {"response": final})
    return events


def _fail(emit: Any, req: ResponsesRequest, failure: ResponseFailure, done: list[Any]) -> None:
    if failure.event == "error":
        emit("error", {"code": failure.code, "message": failure.message, "param": None})
        return
    error = {"code": failure.code, "message": failure.message}
    emit(
        "response.failed",
        {"response": response_object(req, status="failed", output=done, error=error)},
    )


def _opened(item: dict[str, Any]) -> dict[str, Any]:
    """The item as ``output_item.added`` shows it: in progress, nothing generated yet."""
    opened = {**item, "status": "in_progress"}
    if "content" in opened:
        opened["content"] = []
    if "arguments" in opened:
        opened["arguments"] = ""
    return opened


def _item_events(
    req: ResponsesRequest, item: dict[str, Any], index: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    where = {"item_id": item["id"], "output_index": index}
    if item["type"] == "function_call":
        for piece in forced_tokens(item["arguments"]):
            yield "response.function_call_arguments.delta", {**where, "delta": piece.text}
        yield (
            "response.function_call_arguments.done",
            {**where, "name": item["name"], "arguments": item["arguments"]},
        )
        return
    if item["type"] == "reasoning":
        part = {**where, "content_index": 0}
        words = _REASONING.split(" ")
        for position, word in enumerate(words):
            delta = word if position == 0 else " " + word
            yield "response.reasoning_text.delta", {**part, "delta": delta}
        yield "response.reasoning_text.done", {**part, "text": _REASONING}
        return
    part = {**where, "content_index": 0}
    empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    yield "response.content_part.added", {**part, "part": empty}
    pieces, _ = _text_and_status(req)
    for text_piece in pieces:
        yield "response.output_text.delta", {**part, "delta": text_piece, "logprobs": []}
    yield "response.output_text.done", {**part, "text": "".join(pieces), "logprobs": []}
    yield "response.content_part.done", {**part, "part": item["content"][0]}


def is_responses_path(path: str) -> bool:
    return path.rstrip("/") == PATH


def responses_model(json: Any) -> str | None:
    """The body's model without its ``:provider`` suffix (what scripts are keyed by)."""
    model = json.get("model") if isinstance(json, dict) else None
    return model.split(":")[0] if isinstance(model, str) else None


async def serve_responses(
    server: LocalInferenceServer,
    request: web.BaseRequest,
    model: str | None,
    json: Any,
    headers: dict[str, str],
) -> web.StreamResponse:
    """Answer ``POST /v1/responses`` (scripted steps first, as on every route)."""
    from ._routing import Route

    route = Route("router-chat")
    options = server._stream_options(request, route)
    if request.method != "POST":
        return _json(405, {"error": "Method Not Allowed"}, headers)
    if not model:
        return _json(
            400,
            {
                "error": {
                    "message": "Missing required parameter: 'model'.",
                    "type": "invalid_request_error",
                    "param": "model",
                }
            },
            headers,
        )
    step = server._next_step(model)
    failure = step if isinstance(step, ResponseFailure) else None
    if step is not None and failure is None:
        return await server._player.play(step, request, route, model, json, headers, options)
    req = parse_responses(json, model)
    if not req.chat.stream:
        if failure is not None:
            error = {"code": failure.code, "message": failure.message}
            return _json(200, response_object(req, status="failed", error=error), headers)
        return _json(200, response_object(req), headers)
    unknown = request.headers.get("x-test-unknown-event") or request.query.get("unknown_event")
    events = response_events(req, unknown_event=unknown, failure=failure)
    return await server._player.write_events(request, events, b"", options, headers)


def _json(status: int, obj: Any, headers: dict[str, str]) -> web.Response:
    return web.Response(status=status, body=encode(obj), headers={**headers, "Content-Type": JSON})
