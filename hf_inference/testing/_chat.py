"""Chat completions as TGI 3.x serves them (OpenAI-compatible), deterministic.

The answer reads as an answer: a sentence about the last user message's main word (a
greeting gets a greeting), never the question repeated, then vocabulary tokens. With
``max_tokens`` the answer is exactly that long (``finish_reason: "length"``),
which is what short limits give on real servers and lets a benchmark ask for any length;
without it the answer ends by itself (``"stop"``). ``tools`` produce a tool call,
``response_format`` a JSON document that fits the schema.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from ._base import ApiError, deserialize_error, digest, encode, validation_error
from ._generation import (
    MAX_TOTAL_TOKENS,
    Token,
    forced_tokens,
    sample_from_schema,
    vocab_tokens,
    word_tokens,
)
from ._text import entities

FINGERPRINT = "3.2.1-local"
_NATURAL_EXTRA = 12
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_GREETINGS = frozenset({"hello", "hi", "hey", "greetings", "good", "thanks", "thank"})
_GREETING_REPLY = (
    "Hello! I am the local test server: my answers are made up, but they arrive token by "
    "token, just like a real model's."
)
# One is picked per message (and seed); {topic} is the message's longest word.
_REPLIES = (
    "Here is a short answer about {topic}: it comes from the local test server, one token "
    "at a time, the way a real model sends it.",
    "In short, {topic} is what you asked about, and this made-up reply streams word by word "
    "from the local test server.",
    "About {topic}: the local test server answers with deterministic text, sent token by "
    "token, as a real model would.",
)


@dataclass
class ChatRequest:
    model: str
    messages: list[dict[str, Any]]
    stream: bool = False
    max_tokens: int | None = None
    include_usage: bool = False
    tool: dict[str, Any] | None = None
    schema: Any = None
    seed: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_chat(body: Any, *, raw_length: int, model: str) -> ChatRequest:
    """Validate like TGI: shape errors are plain-text 422s."""
    if not isinstance(body, dict):
        raise deserialize_error(
            f"invalid type: expected struct ChatRequest at line 1 column {raw_length}"
        )
    if "messages" not in body:
        raise deserialize_error(f"missing field `messages` at line 1 column {raw_length}")
    messages = body["messages"]
    if not isinstance(messages, list):
        raise deserialize_error(
            f"messages: invalid type: {type(messages).__name__} {encode(messages).decode()}, "
            f"expected a sequence at line 1 column {raw_length}"
        )
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            raise deserialize_error(
                f"messages[{i}]: missing field `role` at line 1 column {raw_length}"
            )
    req = ChatRequest(model=model, messages=messages, stream=bool(body.get("stream")))
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
    if max_tokens is not None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
            raise deserialize_error("max_tokens: invalid type, expected u32")
        if max_tokens <= 0:
            raise validation_error("`max_new_tokens` must be strictly positive")
        prompt = prompt_tokens(messages)
        if prompt + max_tokens > MAX_TOTAL_TOKENS:
            raise validation_error(
                f"`inputs` tokens + `max_new_tokens` must be <= {MAX_TOTAL_TOKENS}. "
                f"Given: {prompt} `inputs` tokens and {max_tokens} `max_new_tokens`"
            )
        req.max_tokens = max_tokens
    options = body.get("stream_options")
    req.include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    req.seed = body.get("seed")
    req.tool = _pick_tool(body.get("tools"), body.get("tool_choice"))
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json", "json_object", "json_schema"):
        schema = fmt.get("value", fmt.get("schema"))
        if isinstance(fmt.get("json_schema"), dict):
            schema = fmt["json_schema"].get("schema", schema)
        req.schema = schema if schema is not None else {"type": "object"}
    return req


def _pick_tool(tools: Any, choice: Any) -> dict[str, Any] | None:
    if not tools or choice == "none":
        return None
    if not isinstance(tools, list):
        raise deserialize_error("tools: invalid type, expected a sequence")
    functions = [t.get("function", t) for t in tools if isinstance(t, dict)]
    if isinstance(choice, dict):
        choice = (choice.get("function") or {}).get("name")
    if isinstance(choice, str) and choice not in ("auto", "required"):
        for function in functions:
            if function.get("name") == choice:
                return dict(function)
        raise ApiError(
            422,
            {"error": f"Tool error: Tool with name {choice} not found", "error_type": "tool_error"},
        )
    return dict(functions[0]) if functions else None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return (
        sum(len(_text_of(m.get("content")).split()) + 4 for m in messages if isinstance(m, dict))
        + 2
    )


@dataclass
class ChatAnswer:
    tokens: list[Token]
    finish_reason: str
    tool_name: str | None = None

    @property
    def text(self) -> str:
        return "".join(t.text for t in self.tokens)


def answer(req: ChatRequest) -> ChatAnswer:
    user = last_user_text(req.messages)
    if req.tool is not None or req.schema is not None:
        found = entities(user)
        value = found[0][0] if found else "example"
        schema = req.tool.get("parameters") if req.tool is not None else req.schema
        tokens = forced_tokens(encode(sample_from_schema(schema, value)).decode())
        finish = "stop"
        if req.max_tokens is not None and len(tokens) > req.max_tokens:
            tokens, finish = tokens[: req.max_tokens], "length"
        if req.tool is not None:
            return ChatAnswer(tokens, finish, str(req.tool.get("name")))
        return ChatAnswer(tokens, finish)
    h = digest(user, req.seed)
    reply = word_tokens(reply_sentence(user, h))
    if req.max_tokens is None:
        tokens = reply + vocab_tokens(h, _NATURAL_EXTRA)
        return ChatAnswer(tokens, "stop")
    n = req.max_tokens
    tokens = reply[:n] + vocab_tokens(h, max(0, n - len(reply)))
    return ChatAnswer(tokens, "length")


def reply_sentence(user: str, h: int) -> str:
    """The opening sentence of an answer to ``user``: about its main word, never a repeat."""
    words = _WORD.findall(user)
    if not words or words[0].lower() in _GREETINGS:
        return _GREETING_REPLY
    topic = max(words, key=len).lower()
    return _REPLIES[h % len(_REPLIES)].format(topic=topic)


def _usage(req: ChatRequest, ans: ChatAnswer) -> dict[str, int]:
    prompt = prompt_tokens(req.messages)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": len(ans.tokens),
        "total_tokens": prompt + len(ans.tokens),
    }


def completion_object(req: ChatRequest) -> dict[str, Any]:
    ans = answer(req)
    message: dict[str, Any]
    if ans.tool_name is not None:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "0",
                    "type": "function",
                    "function": {
                        "description": None,  # TGI 3 never echoes it
                        "name": ans.tool_name,
                        "arguments": ans.text,
                    },
                }
            ],
        }
    else:
        message = {"role": "assistant", "content": ans.text}
    return {
        "object": "chat.completion",
        "id": "",
        "created": int(time.time()),
        "model": req.model,
        "system_fingerprint": FINGERPRINT,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": ans.finish_reason}
        ],
        "usage": _usage(req, ans),
    }


def completion_events(req: ChatRequest, prefix: bytes) -> tuple[list[bytes], bytes]:
    """The chunk events and the closing ``[DONE]`` event (kept apart for error scripts)."""
    ans = answer(req)
    created = int(time.time())
    head = (
        b'%s{"object":"chat.completion.chunk","id":"","created":%d,"model":%s,'
        b'"system_fingerprint":"%s","choices":[{"index":0,"delta":'
        % (prefix, created, encode(req.model), FINGERPRINT.encode())
    )
    tokens = ans.tokens
    if ans.tool_name is not None:
        events = [
            head
            + encode(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "0",
                            "type": "function",
                            "function": {
                                "name": ans.tool_name if i == 0 else None,
                                "arguments": t.text,
                            },
                        }
                    ],
                }
            )
            + _chunk_tail(ans.finish_reason if i == len(tokens) - 1 else None)
            for i, t in enumerate(tokens)
        ]
    else:
        role = b'{"role":"assistant","content":'
        tail = _chunk_tail(None)
        events = [head + role + t.text_json + b"}" + tail for t in tokens[:-1]]
        events.append(head + role + tokens[-1].text_json + b"}" + _chunk_tail(ans.finish_reason))
    if req.include_usage:
        events.append(
            prefix
            + encode(
                {
                    "object": "chat.completion.chunk",
                    "id": "",
                    "created": created,
                    "model": req.model,
                    "system_fingerprint": FINGERPRINT,
                    "choices": [],
                    "usage": _usage(req, ans),
                }
            )
            + b"\n\n"
        )
    return events, prefix + b"[DONE]\n\n"


def _chunk_tail(finish_reason: str | None) -> bytes:
    return b',"logprobs":null,"finish_reason":%s}],"usage":null}\n\n' % encode(finish_reason)
