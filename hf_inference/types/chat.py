"""OpenAI-compatible chat completion types, as TGI and the routed providers return them.

Providers add fields of their own (``time_info``, ``content_filter_results``, ``stop_reason``,
``service_tier``...): those are ignored. Fields some servers leave out default to empty values.
Older TGI (up to 2.0) returned ``function.arguments`` as a JSON object and tool call ids as
ints, and sent a single tool call object instead of a list in stream deltas.
"""

from __future__ import annotations

from typing import Any, Generic, TypedDict, TypeVar

import msgspec

from ._base import BaseStruct

__all__ = [
    "ChatCompletionInputFunctionDefinition",
    "ChatCompletionInputTool",
    "ChatCompletionOutput",
    "ChatCompletionOutputComplete",
    "ChatCompletionOutputFunctionDefinition",
    "ChatCompletionOutputLogprob",
    "ChatCompletionOutputLogprobs",
    "ChatCompletionOutputMessage",
    "ChatCompletionOutputToolCall",
    "ChatCompletionOutputTopLogprob",
    "ChatCompletionOutputUsage",
    "ChatCompletionStreamOutput",
    "ChatCompletionStreamOutputChoice",
    "ChatCompletionStreamOutputDelta",
    "ChatCompletionStreamOutputDeltaToolCall",
    "ChatCompletionStreamOutputFunction",
    "ChatCompletionStreamOutputLogprob",
    "ChatCompletionStreamOutputLogprobs",
    "ChatCompletionStreamOutputTopLogprob",
    "ChatCompletionStreamOutputUsage",
    "ChatMessage",
    "ParsedChatCompletion",
]

ParsedT = TypeVar("ParsedT")


def _parse_arguments(arguments: Any) -> Any:
    if isinstance(arguments, (str, bytes)):
        if not arguments.strip():
            return {}
        return msgspec.json.decode(arguments)
    return arguments


# --- non-streamed answer ---------------------------------------------------------------------


class ChatCompletionOutputFunctionDefinition(BaseStruct, frozen=True):
    """The function a tool call invokes; ``arguments`` is a JSON string (an object on old TGI)."""

    name: str
    arguments: Any
    description: str | None = None

    def parsed_arguments(self) -> Any:
        """Return the arguments as Python data, whichever form the server sent.

        Raises ``msgspec.DecodeError`` (a ``ValueError``) if the string is not valid JSON.
        """
        return _parse_arguments(self.arguments)


class ChatCompletionOutputToolCall(BaseStruct, frozen=True):
    """One tool call requested by the model (the id is an int on old TGI)."""

    function: ChatCompletionOutputFunctionDefinition
    id: str | int = ""
    type: str = "function"


class ChatCompletionOutputMessage(BaseStruct, frozen=True):
    """The assistant message of one choice: text, tool calls, or reasoning."""

    role: str = "assistant"
    content: str | None = None
    tool_calls: list[ChatCompletionOutputToolCall] | None = None
    reasoning: str | None = None
    tool_call_id: str | None = None


class ChatCompletionOutputTopLogprob(BaseStruct, frozen=True):
    """One alternative token and its log-probability."""

    token: str
    logprob: float


class ChatCompletionOutputLogprob(BaseStruct, frozen=True):
    """The log-probability of one generated token, with the top alternatives."""

    token: str
    logprob: float
    top_logprobs: list[ChatCompletionOutputTopLogprob] = msgspec.field(default_factory=list)


class ChatCompletionOutputLogprobs(BaseStruct, frozen=True):
    """Per-token log-probabilities of a choice, when ``logprobs=True``."""

    content: list[ChatCompletionOutputLogprob] | None = None


class ChatCompletionOutputUsage(BaseStruct, frozen=True):
    """Token counts of the request."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletionOutputComplete(BaseStruct, frozen=True):
    """One choice of a chat completion."""

    message: ChatCompletionOutputMessage
    index: int = 0
    finish_reason: str | None = None
    logprobs: ChatCompletionOutputLogprobs | None = None


class ChatCompletionOutput(BaseStruct, frozen=True):
    """A chat completion (``object`` is ``chat.completion``, or ``text_completion`` on old TGI)."""

    id: str = ""
    object: str = ""
    created: int = 0
    model: str = ""
    system_fingerprint: str | None = None
    choices: list[ChatCompletionOutputComplete] = msgspec.field(default_factory=list)
    usage: ChatCompletionOutputUsage | None = None


class ParsedChatCompletion(ChatCompletionOutput, Generic[ParsedT], frozen=True, kw_only=True):
    """A chat completion asked for with ``response_format=YourType``: ``parsed`` is the first
    choice's content decoded into ``YourType`` (a msgspec Struct, dataclass or TypedDict)."""

    parsed: ParsedT


# --- streamed chunks -------------------------------------------------------------------------

ChatCompletionStreamOutputTopLogprob = ChatCompletionOutputTopLogprob
ChatCompletionStreamOutputLogprob = ChatCompletionOutputLogprob
ChatCompletionStreamOutputLogprobs = ChatCompletionOutputLogprobs
ChatCompletionStreamOutputUsage = ChatCompletionOutputUsage


class ChatCompletionStreamOutputFunction(BaseStruct, frozen=True):
    """A fragment of a tool call: the name comes first, then pieces of the arguments string."""

    name: str | None = None
    arguments: Any = None

    def parsed_arguments(self) -> Any:
        """Return the arguments as Python data (only meaningful once all fragments are joined)."""
        return _parse_arguments(self.arguments)


class ChatCompletionStreamOutputDeltaToolCall(BaseStruct, frozen=True):
    """A tool call fragment inside a stream delta; ``index`` says which call it extends."""

    index: int = 0
    id: str | int | None = None
    type: str | None = None
    function: ChatCompletionStreamOutputFunction = msgspec.field(
        default_factory=ChatCompletionStreamOutputFunction
    )


class ChatCompletionStreamOutputDelta(BaseStruct, frozen=True):
    """What one chunk adds to the message: a piece of content, reasoning or tool calls."""

    role: str | None = None
    content: str | None = None
    # TGI up to 2.0 sent one tool call object where everyone else sends a list. Both decode
    # as sent (normalising in __post_init__ would cost every chunk ~0.3 us); use
    # ``tool_call_list`` to always get a list.
    tool_calls: (
        list[ChatCompletionStreamOutputDeltaToolCall]
        | ChatCompletionStreamOutputDeltaToolCall
        | None
    ) = None
    reasoning: str | None = None
    tool_call_id: str | None = None

    @property
    def tool_call_list(self) -> list[ChatCompletionStreamOutputDeltaToolCall]:
        """The tool call fragments of this chunk as a list, whichever form the server sent."""
        calls = self.tool_calls
        if calls is None:
            return []
        if isinstance(calls, ChatCompletionStreamOutputDeltaToolCall):
            return [calls]
        return calls


class ChatCompletionStreamOutputChoice(BaseStruct, frozen=True):
    """One choice of a stream chunk; ``finish_reason`` is set on its last chunk."""

    delta: ChatCompletionStreamOutputDelta = msgspec.field(
        default_factory=ChatCompletionStreamOutputDelta
    )
    index: int = 0
    logprobs: ChatCompletionOutputLogprobs | None = None
    finish_reason: str | None = None


class ChatCompletionStreamOutput(BaseStruct, frozen=True, kw_only=True):
    """One stream chunk; with ``include_usage`` the last one has no choices and a ``usage``."""

    id: str = ""
    object: str = ""
    created: int = 0
    model: str = ""
    system_fingerprint: str | None = None
    # Required: an error payload ({"error": ...}) then fails to decode instead of passing
    # for an empty chunk.
    choices: list[ChatCompletionStreamOutputChoice]
    usage: ChatCompletionOutputUsage | None = None


# --- inputs ----------------------------------------------------------------------------------


class ChatMessage(BaseStruct, frozen=True, omit_defaults=True):
    """A message to send (plain dicts work too); fields left as None are not sent."""

    role: str
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[Any] | None = None
    tool_call_id: str | None = None


class _FunctionName(TypedDict):
    name: str


class ChatCompletionInputFunctionDefinition(_FunctionName, total=False):
    """A function the model may call: name, description and a JSON Schema of its parameters."""

    description: str
    parameters: dict[str, Any]


class ChatCompletionInputTool(TypedDict):
    """A tool offered to the model, ``{"type": "function", "function": {...}}``."""

    type: str
    function: ChatCompletionInputFunctionDefinition
