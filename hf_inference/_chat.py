"""Chat helpers: the chat request body; accumulate a streamed chat into its final message;
the legacy conversational task expressed as chat messages."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

import msgspec

from . import types as t
from ._exceptions import InvalidInputError
from ._params import body_fields
from ._payloads import json_body
from .providers import AUTO, Direct

Messages = Sequence[Mapping[str, Any] | t.ChatMessage]


def chat_model(plan: Direct, provider: str) -> str:
    """The body's ``model``: ``model:provider`` on the router's chat route for a provider."""
    model = plan.model
    if model is None or model.startswith(("http://", "https://")):
        return "tgi"
    if plan.router_chat and ":" not in model and provider not in (AUTO, "hf-inference"):
        return f"{model}:{provider}"
    return model


def chat_messages(messages: Messages) -> list[Any]:
    if not isinstance(messages, list | tuple):
        raise InvalidInputError("messages must be a list of {'role': ..., 'content': ...}")
    return [msgspec.to_builtins(m) if isinstance(m, t.ChatMessage) else m for m in messages]


def chat_params(params: Mapping[str, Any], stream: bool) -> dict[str, Any]:
    """The chat parameters of a call (its options and None values left out)."""
    body = body_fields(params)
    if stream:
        body["stream"] = True
    return body


def chat_body(
    messages: Messages, body_model: str, params: Mapping[str, Any], stream: bool
) -> bytes:
    body: dict[str, Any] = {"model": body_model, "messages": chat_messages(messages)}
    body.update(body_fields(params))
    body.update(params.get("extra_body") or {})
    if stream:
        body["stream"] = True
    return json_body(body)


class _ToolCallParts:
    __slots__ = ("arguments", "id", "name", "type")

    def __init__(self) -> None:
        self.id: str | int | None = None
        self.type = "function"
        self.name = ""
        self.arguments: list[str] = []


class _ChoiceParts:
    __slots__ = ("content", "finish_reason", "reasoning", "role", "tool_calls")

    def __init__(self) -> None:
        self.role = "assistant"
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.tool_calls: dict[int, _ToolCallParts] = {}
        self.finish_reason: str | None = None


class ChatCompletionAccumulator:
    """Feed stream chunks with :meth:`add`; :meth:`result` builds the final completion.

    Content and reasoning pieces are joined; tool call fragments are merged by their index
    (name first, then argument pieces). Arguments sent as a JSON object (older TGI) are kept.
    """

    def __init__(self) -> None:
        self._choices: dict[int, _ChoiceParts] = {}
        self._last: t.ChatCompletionStreamOutput | None = None
        self._usage: t.ChatCompletionOutputUsage | None = None

    def add(self, chunk: t.ChatCompletionStreamOutput) -> None:
        self._last = chunk
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices:
            parts = self._choices.setdefault(choice.index, _ChoiceParts())
            delta = choice.delta
            if delta.role:
                parts.role = delta.role
            if delta.content:
                parts.content.append(delta.content)
            if delta.reasoning:
                parts.reasoning.append(delta.reasoning)
            for call in delta.tool_call_list:
                self._add_tool_call(parts, call)
            if choice.finish_reason:
                parts.finish_reason = choice.finish_reason

    @staticmethod
    def _add_tool_call(
        parts: _ChoiceParts, call: t.ChatCompletionStreamOutputDeltaToolCall
    ) -> None:
        target = parts.tool_calls.setdefault(call.index, _ToolCallParts())
        if call.id is not None and call.id != "":
            target.id = call.id
        if call.type:
            target.type = call.type
        if call.function.name:
            target.name = call.function.name
        arguments = call.function.arguments
        if isinstance(arguments, str):
            target.arguments.append(arguments)
        elif arguments is not None:
            import msgspec

            target.arguments.append(msgspec.json.encode(arguments).decode())

    def result(self) -> t.ChatCompletionOutput:
        last = self._last
        choices = [
            t.ChatCompletionOutputComplete(
                index=index,
                finish_reason=parts.finish_reason,
                message=t.ChatCompletionOutputMessage(
                    role=parts.role,
                    content="".join(parts.content)
                    if parts.content or not parts.tool_calls
                    else None,
                    reasoning="".join(parts.reasoning) if parts.reasoning else None,
                    tool_calls=[
                        t.ChatCompletionOutputToolCall(
                            id=call.id if call.id is not None else str(position),
                            type=call.type,
                            function=t.ChatCompletionOutputFunctionDefinition(
                                name=call.name, arguments="".join(call.arguments)
                            ),
                        )
                        for position, call in sorted(parts.tool_calls.items())
                    ]
                    or None,
                ),
            )
            for index, parts in sorted(self._choices.items())
        ]
        return t.ChatCompletionOutput(
            id=last.id if last else "",
            object="chat.completion",
            created=last.created if last else 0,
            model=last.model if last else "",
            system_fingerprint=last.system_fingerprint if last else None,
            choices=choices,
            usage=self._usage,
        )


S = TypeVar("S")


@overload
async def accumulate_chat_stream(
    stream: AsyncIterable[t.ChatCompletionStreamOutput], *, response_format: type[S]
) -> t.ParsedChatCompletion[S]: ...


@overload
async def accumulate_chat_stream(
    stream: AsyncIterable[t.ChatCompletionStreamOutput], *, response_format: None = None
) -> t.ChatCompletionOutput: ...


async def accumulate_chat_stream(
    stream: AsyncIterable[t.ChatCompletionStreamOutput], *, response_format: Any = None
) -> t.ChatCompletionOutput:
    """Consume a chat stream and return the completion it spelled out (text and tool calls).

    With ``response_format=YourType`` (the type given to ``chat_completion_stream``) the
    result is a :class:`~hf_inference.types.ParsedChatCompletion` whose ``parsed`` is the
    accumulated text decoded into ``YourType`` (a :class:`DecodeError` if it does not fit).
    """
    accumulator = ChatCompletionAccumulator()
    async for chunk in stream:
        accumulator.add(chunk)
    reply = accumulator.result()
    if response_format is None:
        return reply
    from ._structured import parse_completion

    parsed: t.ChatCompletionOutput = parse_completion(reply, response_format)
    return parsed


def conversation_messages(inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """Legacy ``{"text", "past_user_inputs", "generated_responses"}`` as chat messages."""
    if not isinstance(inputs, Mapping) or not isinstance(inputs.get("text"), str):
        raise InvalidInputError(
            "conversational inputs must be a mapping with a 'text' string "
            "(and optional 'past_user_inputs' / 'generated_responses' lists)"
        )
    past: Iterable[str] = inputs.get("past_user_inputs") or []
    replies: Iterable[str] = inputs.get("generated_responses") or []
    messages: list[dict[str, str]] = []
    for user, reply in zip(past, replies, strict=False):
        messages.append({"role": "user", "content": user})
        messages.append({"role": "assistant", "content": reply})
    messages.append({"role": "user", "content": inputs["text"]})
    return messages


def conversational_output(
    inputs: Mapping[str, Any], reply: t.ChatCompletionOutput
) -> t.ConversationalOutput:
    text = reply.choices[0].message.content or "" if reply.choices else ""
    return t.ConversationalOutput(
        generated_text=text,
        conversation=t.ConversationalConversation(
            past_user_inputs=[*(inputs.get("past_user_inputs") or []), inputs["text"]],
            generated_responses=[*(inputs.get("generated_responses") or []), text],
        ),
    )
