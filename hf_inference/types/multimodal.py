"""Outputs of the tasks that answer questions about an image or a document."""

from __future__ import annotations

from ._base import BaseStruct

__all__ = ["DocumentQuestionAnsweringOutputElement", "VisualQuestionAnsweringOutputElement"]


class VisualQuestionAnsweringOutputElement(BaseStruct, frozen=True):
    """One answer about the image and its score."""

    answer: str
    score: float


class DocumentQuestionAnsweringOutputElement(BaseStruct, frozen=True):
    """One answer found in the document; Donut-style models give no score or word offsets."""

    answer: str
    score: float | None = None
    start: int | None = None
    end: int | None = None
