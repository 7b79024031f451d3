"""Outputs of the image tasks."""

from __future__ import annotations

import base64

from ._base import BaseStruct

__all__ = [
    "ImageClassificationOutputElement",
    "ImageSegmentationOutputElement",
    "ImageToTextOutput",
    "ObjectDetectionBoundingBox",
    "ObjectDetectionOutputElement",
    "ZeroShotImageClassificationOutputElement",
]


class ImageClassificationOutputElement(BaseStruct, frozen=True):
    """One label and its score."""

    label: str
    score: float


class ObjectDetectionBoundingBox(BaseStruct, frozen=True):
    """A box in pixel coordinates of the input image."""

    xmin: int
    ymin: int
    xmax: int
    ymax: int


class ObjectDetectionOutputElement(BaseStruct, frozen=True):
    """One detected object: its label, score and bounding box."""

    label: str
    score: float
    box: ObjectDetectionBoundingBox


class ImageSegmentationOutputElement(BaseStruct, frozen=True):
    """One segment: its label, score (null for some models) and mask as a base64 PNG."""

    label: str
    mask: str
    score: float | None = None

    @property
    def mask_bytes(self) -> bytes:
        """The decoded PNG bytes of the mask."""
        return base64.b64decode(self.mask)


class ImageToTextOutput(BaseStruct, frozen=True):
    """The caption generated for the image."""

    generated_text: str


class ZeroShotImageClassificationOutputElement(BaseStruct, frozen=True):
    """One candidate label and its score."""

    label: str
    score: float
