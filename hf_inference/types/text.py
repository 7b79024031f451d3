"""Outputs of the natural-language tasks (classification, extraction, seq2seq, similarity)."""

from __future__ import annotations

from typing import TypeAlias

import msgspec

from ._base import BaseStruct

__all__ = [
    "ConversationalConversation",
    "ConversationalOutput",
    "FillMaskOutputElement",
    "QuestionAnsweringOutputElement",
    "SentenceSimilarityOutput",
    "SummarizationOutput",
    "TableQuestionAnsweringOutputElement",
    "TextClassificationOutputElement",
    "TokenClassificationOutputElement",
    "TranslationOutput",
    "ZeroShotClassificationOutputElement",
    "ZeroShotClassificationWireOutput",
]


class FillMaskOutputElement(BaseStruct, frozen=True):
    """One candidate for the masked token, with the completed sequence."""

    score: float
    token_str: str
    sequence: str
    token: int | None = None


class SummarizationOutput(BaseStruct, frozen=True):
    """The summary of the input text."""

    summary_text: str


class QuestionAnsweringOutputElement(BaseStruct, frozen=True):
    """The answer span found in the context, with its character offsets."""

    answer: str
    score: float
    start: int
    end: int


class TableQuestionAnsweringOutputElement(BaseStruct, frozen=True):
    """The answer read from the table, the cells it came from and the aggregation used."""

    answer: str
    coordinates: list[list[int]] = msgspec.field(default_factory=list)
    cells: list[str] = msgspec.field(default_factory=list)
    aggregator: str | None = None


class TextClassificationOutputElement(BaseStruct, frozen=True):
    """One label and its score."""

    label: str
    score: float


class TokenClassificationOutputElement(BaseStruct, frozen=True):
    """One entity: ``entity_group`` when aggregated, ``entity`` (and ``index``) per token."""

    score: float
    word: str
    entity_group: str | None = None
    entity: str | None = None
    start: int | None = None
    end: int | None = None
    index: int | None = None


class TranslationOutput(BaseStruct, frozen=True):
    """The translated text."""

    translation_text: str


class ZeroShotClassificationOutputElement(BaseStruct, frozen=True):
    """One candidate label and its score."""

    label: str
    score: float


class ZeroShotClassificationWireOutput(BaseStruct, frozen=True):
    """The server's answer for one sequence: parallel ``labels`` and ``scores`` lists."""

    sequence: str
    labels: list[str]
    scores: list[float]

    def to_elements(self) -> list[ZeroShotClassificationOutputElement]:
        """Pair each label with its score, in the server's order (best first)."""
        return [
            ZeroShotClassificationOutputElement(label=label, score=score)
            for label, score in zip(self.labels, self.scores, strict=True)
        ]


class ConversationalConversation(BaseStruct, frozen=True):
    """The conversation so far, as the legacy conversational pipeline tracked it."""

    past_user_inputs: list[str] = msgspec.field(default_factory=list)
    generated_responses: list[str] = msgspec.field(default_factory=list)


class ConversationalOutput(BaseStruct, frozen=True):
    """A reply from the legacy conversational pipeline (superseded by chat completion)."""

    generated_text: str
    conversation: ConversationalConversation = msgspec.field(
        default_factory=ConversationalConversation
    )
    warnings: list[str] = msgspec.field(default_factory=list)


SentenceSimilarityOutput: TypeAlias = list[float]
"""One similarity score per sentence compared with the source sentence."""
