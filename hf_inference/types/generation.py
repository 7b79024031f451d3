"""Text generation outputs, as returned by TGI and by plain transformers pipelines.

A non-streamed answer is a one-element list of :class:`TextGenerationOutput`; non-TGI servers
send only ``generated_text``. A stream yields one :class:`TextGenerationStreamOutput` per token.
Seeds are unsigned 64-bit values (above 2**63 in practice) and decode exactly as Python ints.
"""

from __future__ import annotations

import msgspec

from ._base import BaseStruct

__all__ = [
    "TextGenerationOutput",
    "TextGenerationOutputBestOfSequence",
    "TextGenerationOutputDetails",
    "TextGenerationOutputToken",
    "TextGenerationPrefillToken",
    "TextGenerationStreamOutput",
    "TextGenerationStreamOutputStreamDetails",
]


class TextGenerationOutputToken(BaseStruct, frozen=True):
    """One generated token: id, text, log-probability and whether it is a special token."""

    id: int
    text: str
    logprob: float | None = None
    special: bool = False


class TextGenerationPrefillToken(BaseStruct, frozen=True):
    """One prompt token echoed back in the details (its logprob is null for the first)."""

    id: int
    text: str
    logprob: float | None = None


class TextGenerationOutputBestOfSequence(BaseStruct, frozen=True):
    """A candidate sequence that lost the ``best_of`` selection."""

    generated_text: str
    finish_reason: str
    generated_tokens: int
    seed: int | None = None
    prefill: list[TextGenerationPrefillToken] = msgspec.field(default_factory=list)
    tokens: list[TextGenerationOutputToken] = msgspec.field(default_factory=list)
    top_tokens: list[list[TextGenerationOutputToken]] | None = None


class TextGenerationOutputDetails(BaseStruct, frozen=True):
    """Generation details returned when ``details=True``: tokens, seed and why it stopped."""

    finish_reason: str
    generated_tokens: int
    seed: int | None = None
    prefill: list[TextGenerationPrefillToken] = msgspec.field(default_factory=list)
    tokens: list[TextGenerationOutputToken] = msgspec.field(default_factory=list)
    best_of_sequences: list[TextGenerationOutputBestOfSequence] | None = None
    top_tokens: list[list[TextGenerationOutputToken]] | None = None


class TextGenerationOutput(BaseStruct, frozen=True):
    """The generated text, with details when requested from a TGI server."""

    generated_text: str
    details: TextGenerationOutputDetails | None = None


class DetailedTextGenerationOutput(TextGenerationOutput, frozen=True):
    """The answer to ``text_generation(..., details=True)``: its ``details`` are always there."""

    details: TextGenerationOutputDetails


class TextGenerationStreamOutputStreamDetails(BaseStruct, frozen=True):
    """Details carried by the last event of a stream when ``details=True``."""

    finish_reason: str
    generated_tokens: int
    seed: int | None = None
    input_length: int | None = None


class TextGenerationStreamOutput(BaseStruct, frozen=True, kw_only=True):
    """One streamed token; the last event also carries ``generated_text`` (and details)."""

    index: int | None = None
    token: TextGenerationOutputToken
    generated_text: str | None = None
    details: TextGenerationStreamOutputStreamDetails | None = None
    top_tokens: list[TextGenerationOutputToken] | None = None
