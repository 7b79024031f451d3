"""Outputs of the audio tasks."""

from __future__ import annotations

import base64

import msgspec

from ._base import BaseStruct

__all__ = [
    "AudioClassificationOutputElement",
    "AudioToAudioOutputElement",
    "AutomaticSpeechRecognitionOutput",
    "AutomaticSpeechRecognitionOutputChunk",
]


class AutomaticSpeechRecognitionOutputChunk(BaseStruct, frozen=True):
    """A piece of the transcript with its ``[start, end]`` time in seconds (end may be null)."""

    text: str
    timestamp: list[float | None] = msgspec.field(default_factory=list)


class AutomaticSpeechRecognitionOutput(BaseStruct, frozen=True):
    """The transcript, with timestamped chunks when ``return_timestamps`` was requested."""

    text: str
    chunks: list[AutomaticSpeechRecognitionOutputChunk] | None = None


class AudioClassificationOutputElement(BaseStruct, frozen=True):
    """One label and its score."""

    label: str
    score: float


class AudioToAudioOutputElement(BaseStruct, frozen=True):
    """One output track: a label and the base64 audio, with its wire key ``content-type``."""

    label: str
    blob: str
    content_type: str = msgspec.field(default="", name="content-type")

    @property
    def data(self) -> bytes:
        """The decoded audio bytes."""
        return base64.b64decode(self.blob)
