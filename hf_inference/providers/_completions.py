"""OpenAI-style ``/v1/completions`` answers as TGI's text-generation types.

A streamed completion is a run of ``text_completion`` chunks (``choices[0].text`` a piece of
the answer, ``finish_reason`` on the last), then ``data: [DONE]``. :class:`CompletionEvents`
turns each chunk into the :class:`TextGenerationStreamOutput` a TGI stream yields: one decode
into a small struct per event, then a conversion; the last event carries ``generated_text``
and ``details``.

Finish reasons: OpenAI's ``length`` is TGI's ``length``; its ``stop`` covers both the model's
end-of-sequence token and a stop string, so it becomes ``stop_sequence`` when the provider
names the string that stopped it (vLLM's ``stop_reason``) and ``eos_token`` otherwise.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .._streaming import SkipEvent
from ..types import (
    TextGenerationOutputToken,
    TextGenerationStreamOutput,
    TextGenerationStreamOutputStreamDetails,
)

__all__ = ["CompletionChunk", "CompletionEvents", "tgi_finish_reason"]

#: Token ids OpenAI-style chunks do not carry.
NO_TOKEN_ID = -1


class _Usage(msgspec.Struct, gc=False):
    completion_tokens: int | None = None


class _Choice(msgspec.Struct, gc=False):
    text: str = ""
    finish_reason: str | None = None
    stop_reason: int | str | None = None  # vLLM: the stop string (or token id) that matched
    seed: int | None = None  # together


class CompletionChunk(msgspec.Struct, gc=False):
    """One ``text_completion`` chunk, only the fields the conversion reads."""

    choices: list[_Choice]
    usage: _Usage | None = None


def tgi_finish_reason(finish_reason: str, stop_reason: object = None) -> str:
    """OpenAI's finish reason in TGI's words (``length``, ``eos_token``, ``stop_sequence``)."""
    if finish_reason == "stop":
        return "stop_sequence" if isinstance(stop_reason, str) else "eos_token"
    return finish_reason


class CompletionEvents:
    """The decoder of one completions stream (it keeps the text so far for the last event)."""

    __slots__ = ("_count", "_decode", "_parts")

    type = CompletionChunk  # what a rejected event failed to be (AsyncStream's messages)

    def __init__(self) -> None:
        self._decode = msgspec.json.Decoder(CompletionChunk).decode
        self._parts: list[str] = []
        self._count = 0

    def decode(self, data: Any) -> TextGenerationStreamOutput:
        # Raises (TypeError, msgspec errors) before touching any state: AsyncStream decodes
        # an event that failed once a second time on its slow path.
        chunk = self._decode(data)
        if not chunk.choices:
            raise SkipEvent("a chunk without choices")
        choice = chunk.choices[0]
        text = choice.text
        self._parts.append(text)
        self._count += 1
        token = TextGenerationOutputToken(id=NO_TOKEN_ID, text=text)
        if choice.finish_reason is None:
            return TextGenerationStreamOutput(index=self._count, token=token)
        usage = chunk.usage
        tokens = usage.completion_tokens if usage is not None else None
        details = TextGenerationStreamOutputStreamDetails(
            finish_reason=tgi_finish_reason(choice.finish_reason, choice.stop_reason),
            generated_tokens=tokens if tokens is not None else self._count,
            seed=choice.seed,
        )
        return TextGenerationStreamOutput(
            index=self._count, token=token, generated_text="".join(self._parts), details=details
        )
