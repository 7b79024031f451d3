"""OpenAI Responses API types (``POST {router}/v1/responses``), field names as on the wire.

Output items and content parts are one flat struct each, keyed by ``type`` (``message``,
``function_call``, ``reasoning``; ``output_text``, ``refusal``, ``reasoning_text``,
``summary_text``): an item type this version does not know still decodes, with the fields it
shares, instead of failing the whole answer.

Stream events are a tagged union on ``type``: each known event is its own struct, so one
msgspec decode per event picks the class. An event type this version does not know arrives
as :class:`ResponseEvent` (its ``type`` and its JSON object), never dropped.
"""

from __future__ import annotations

from typing import Any, Union

import msgspec

from ._base import BaseStruct

__all__ = [
    "Response",
    "ResponseCompletedEvent",
    "ResponseContentPart",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreatedEvent",
    "ResponseError",
    "ResponseErrorEvent",
    "ResponseEvent",
    "ResponseFailedEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteDetails",
    "ResponseIncompleteEvent",
    "ResponseOutputItem",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseReasoningTextDeltaEvent",
    "ResponseReasoningTextDoneEvent",
    "ResponseStreamEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseUsage",
    "ResponseUsageInputTokensDetails",
    "ResponseUsageOutputTokensDetails",
]


class ResponseContentPart(BaseStruct, frozen=True):
    """A piece of an item's content: ``output_text`` (``text``), ``refusal`` (``refusal``),
    ``reasoning_text`` or ``summary_text`` (``text``)."""

    type: str
    text: str | None = None
    refusal: str | None = None
    annotations: list[Any] = msgspec.field(default_factory=list)
    logprobs: list[Any] | None = None


class ResponseOutputItem(BaseStruct, frozen=True):
    """One output item.

    ``message``: ``role`` and ``content`` (``output_text`` parts); ``function_call``:
    ``call_id``, ``name`` and ``arguments`` (a JSON string); ``reasoning``: ``content``
    (``reasoning_text`` parts), ``summary`` and ``encrypted_content``.
    """

    type: str
    id: str | None = None
    status: str | None = None
    role: str | None = None
    content: list[ResponseContentPart] | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    summary: list[ResponseContentPart] | None = None
    encrypted_content: str | None = None

    @property
    def text(self) -> str:
        """The item's ``output_text`` (or ``reasoning_text``) parts joined; empty if none."""
        return "".join(
            part.text
            for part in self.content or ()
            if part.text is not None and part.type in ("output_text", "reasoning_text")
        )


class ResponseUsageInputTokensDetails(BaseStruct, frozen=True):
    """How many input tokens came from the prompt cache."""

    cached_tokens: int = 0


class ResponseUsageOutputTokensDetails(BaseStruct, frozen=True):
    """How many output tokens were reasoning."""

    reasoning_tokens: int = 0


class ResponseUsage(BaseStruct, frozen=True):
    """Token counts of one response."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: ResponseUsageInputTokensDetails | None = None
    output_tokens_details: ResponseUsageOutputTokensDetails | None = None


class ResponseError(BaseStruct, frozen=True):
    """Why a response failed (``status == "failed"``)."""

    code: str | None = None
    message: str = ""


class ResponseIncompleteDetails(BaseStruct, frozen=True):
    """Why a response is incomplete (``max_output_tokens``, ``content_filter``)."""

    reason: str | None = None


class Response(BaseStruct, frozen=True):
    """A Responses API answer: ``output`` items, ``status``, ``usage``.

    ``output_text`` joins the text of every assistant message, as openai's SDK does.
    """

    id: str = ""
    object: str = "response"
    created_at: float = 0
    model: str = ""
    status: str | None = None
    output: list[ResponseOutputItem] = msgspec.field(default_factory=list)
    error: ResponseError | None = None
    incomplete_details: ResponseIncompleteDetails | None = None
    instructions: str | None = None
    usage: ResponseUsage | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    previous_response_id: str | None = None
    parallel_tool_calls: bool | None = None
    tool_choice: Any = None
    tools: list[Any] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] | None = None

    @property
    def output_text(self) -> str:
        """The text of every ``message`` item's ``output_text`` parts, joined."""
        return "".join(item.text for item in self.output if item.type == "message")


# --- stream events ----------------------------------------------------------------------------


class _Event(BaseStruct, frozen=True, tag_field="type"):
    """A Responses stream event; ``type`` is its wire name (the union's tag)."""

    sequence_number: int = 0

    @property
    def type(self) -> str:
        """The event's wire name, e.g. ``"response.output_text.delta"``."""
        tag: str = self.__struct_config__.tag  # type: ignore[assignment]
        return tag


class ResponseCreatedEvent(_Event, frozen=True, kw_only=True, tag="response.created"):
    """The response was created (``response.status == "in_progress"``)."""

    response: Response


class ResponseInProgressEvent(_Event, frozen=True, kw_only=True, tag="response.in_progress"):
    """The response is being generated."""

    response: Response


class ResponseCompletedEvent(_Event, frozen=True, kw_only=True, tag="response.completed"):
    """The last event of a successful stream: the whole response, usage included."""

    response: Response


class ResponseIncompleteEvent(_Event, frozen=True, kw_only=True, tag="response.incomplete"):
    """The last event of a stream cut short (``response.incomplete_details.reason``)."""

    response: Response


class ResponseFailedEvent(_Event, frozen=True, kw_only=True, tag="response.failed"):
    """The response failed (``response.error``): the stream raises ``ResponseFailedError``."""

    response: Response


class ResponseErrorEvent(_Event, frozen=True, kw_only=True, tag="error"):
    """An error event; the stream raises it as a ``StreamError`` (``error_type`` is ``code``)."""

    message: str = ""
    code: str | None = None
    param: str | None = None


class ResponseOutputItemAddedEvent(
    _Event, frozen=True, kw_only=True, tag="response.output_item.added"
):
    """An output item began (its content still empty)."""

    output_index: int = 0
    item: ResponseOutputItem


class ResponseOutputItemDoneEvent(
    _Event, frozen=True, kw_only=True, tag="response.output_item.done"
):
    """An output item is complete."""

    output_index: int = 0
    item: ResponseOutputItem


class ResponseContentPartAddedEvent(
    _Event, frozen=True, kw_only=True, tag="response.content_part.added"
):
    """A content part of an item began."""

    item_id: str = ""
    output_index: int = 0
    content_index: int = 0
    part: ResponseContentPart


class ResponseContentPartDoneEvent(
    _Event, frozen=True, kw_only=True, tag="response.content_part.done"
):
    """A content part of an item is complete."""

    item_id: str = ""
    output_index: int = 0
    content_index: int = 0
    part: ResponseContentPart


class ResponseTextDeltaEvent(_Event, frozen=True, kw_only=True, tag="response.output_text.delta"):
    """A piece of output text."""

    item_id: str = ""
    output_index: int = 0
    content_index: int = 0
    delta: str
    logprobs: list[Any] | None = None


class ResponseTextDoneEvent(_Event, frozen=True, kw_only=True, tag="response.output_text.done"):
    """The full text of one ``output_text`` part."""

    item_id: str = ""
    output_index: int = 0
    content_index: int = 0
    text: str
    logprobs: list[Any] | None = None


class ResponseFunctionCallArgumentsDeltaEvent(
    _Event, frozen=True, kw_only=True, tag="response.function_call_arguments.delta"
):
    """A piece of a function call's JSON arguments."""

    item_id: str = ""
    output_index: int = 0
    delta: str


class ResponseFunctionCallArgumentsDoneEvent(
    _Event, frozen=True, kw_only=True, tag="response.function_call_arguments.done"
):
    """A function call's complete JSON arguments."""

    item_id: str = ""
    output_index: int = 0
    arguments: str
    name: str | None = None


class ResponseReasoningTextDeltaEvent(
    _Event, frozen=True, kw_only=True, tag="response.reasoning_text.delta"
):
    """A piece of reasoning text."""

    item_id: str = ""
    output_index: int = 0
    content_index: int = 0
    delta: str


class ResponseReasoningTextDoneEvent(
    _Event, frozen=True, kw_only=True, tag="response.reasoning_text.done"
):
    """The full text of one reasoning part."""

    item_id: str = ""
    output_index: int = 0
    content_index: int = 0
    text: str


class ResponseEvent(BaseStruct, frozen=True):
    """An event type this version does not know: its ``type`` and its whole JSON object."""

    type: str
    data: Any


# The events a stream decodes in one step. ResponseFailedEvent and ResponseErrorEvent are left
# out on purpose: they fail the fast decode and reach the stream's slow path, which raises.
_DECODED_EVENTS = Union[  # noqa: UP007 (a runtime alias must work on 3.10)
    ResponseCreatedEvent,
    ResponseInProgressEvent,
    ResponseCompletedEvent,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
]

#: Every item a Responses stream yields.
ResponseStreamEvent = Union[  # noqa: UP007
    ResponseCreatedEvent,
    ResponseInProgressEvent,
    ResponseCompletedEvent,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseEvent,
]
