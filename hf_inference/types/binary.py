"""The output of tasks that answer raw bytes (text-to-image, text-to-speech, image-to-image)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .._exceptions import DecodeError

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["BinaryOutput"]

_EXTENSIONS = {
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/svg+xml": "svg",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
    "audio/x-wav": "wav",
    "audio/x-flac": "flac",
    "audio/x-m4a": "m4a",
    "audio/mp4": "m4a",
    "application/octet-stream": "bin",
}


class BinaryOutput:
    """A response body and its content type, e.g. a generated image or speech."""

    __slots__ = ("_content_type", "_data")

    _data: bytes
    _content_type: str

    def __init__(self, data: bytes, content_type: str = "application/octet-stream") -> None:
        # The body can be megabytes: keep the very bytes object we were handed. Only a
        # mutable buffer is copied, since a frozen value must not change under its owner.
        object.__setattr__(self, "_data", data if isinstance(data, bytes) else bytes(data))
        object.__setattr__(self, "_content_type", content_type)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @property
    def data(self) -> bytes:
        """The response body."""
        return self._data

    @property
    def content_type(self) -> str:
        """The response's Content-Type header, parameters included."""
        return self._content_type

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower-cased (``image/png``)."""
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def extension(self) -> str:
        """A file extension for the content type, without the dot (``png``, ``flac``...)."""
        media_type = self.media_type
        known = _EXTENSIONS.get(media_type)
        if known is not None:
            return known
        subtype = media_type.partition("/")[2].split("+", 1)[0].removeprefix("x-")
        return subtype if subtype.isalnum() else "bin"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the bytes to ``path`` (blocking) and return it as a Path."""
        target = Path(path)
        target.write_bytes(self.data)
        return target

    def to_pil(self) -> Image:
        """The image as a ``PIL.Image.Image`` (what huggingface_hub's text_to_image returns).

        Needs Pillow (``pip install 'hf-inference[pillow]'``). Raises DecodeError when the
        bytes are not an image Pillow can read (speech, say).
        """
        try:
            from PIL import Image, UnidentifiedImageError
        except ImportError:
            raise ImportError(
                "BinaryOutput.to_pil() needs Pillow: pip install 'hf-inference[pillow]'"
            ) from None
        if not self.media_type.startswith("image/") and self.media_type != (
            "application/octet-stream"
        ):
            raise DecodeError(
                f"the answer is {self.media_type}, not an image: use .data or .save()"
            )
        try:
            image = Image.open(io.BytesIO(self.data))
            image.load()
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise DecodeError(
                f"the answer ({self.media_type}, {len(self.data)} bytes) is not an image "
                f"Pillow can read: {type(exc).__name__}"
            ) from None
        return image

    def __bytes__(self) -> bytes:
        return self.data

    def __len__(self) -> int:
        return len(self.data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BinaryOutput):
            return NotImplemented
        return self.content_type == other.content_type and self.data == other.data

    def __hash__(self) -> int:
        return hash((self.content_type, self.data))

    def __reduce__(self) -> tuple[type[BinaryOutput], tuple[bytes, str]]:
        # Pickle and copy would otherwise restore the slots through the blocked __setattr__.
        return (type(self), (self.data, self.content_type))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(content_type={self.content_type!r}, size={len(self.data)})"
