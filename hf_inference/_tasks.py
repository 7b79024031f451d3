"""The task table: every Inference API task declared once.

A :class:`TaskSpec` says where a task is sent (route), how its inputs travel (input kind), what
the body decodes into (wire type, decoder built once) and how the real envelope becomes the
natural Python shape (``shape``). The client's task methods and the module-level functions are
one-line calls into the machinery that reads these rows.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any, Generic, TypeVar

import msgspec

from . import types as t
from ._exceptions import DecodeError
from ._params import ChatCompletionParameters, parameter_names
from ._payloads import (
    Downloader,
    b64,
    check_parameters,
    inputs_payload,
    is_binary_input,
    json_body,
    read_binary,
    sniff_content_type,
)
from ._raw import keep as keep_raw
from ._transport import Body, Response
from .types import parameters as p

Out = TypeVar("Out")


class Route(enum.Enum):
    """Where a task's request goes."""

    MODEL = "models/{model}"
    PIPELINE = "models/{model}/pipeline/{task}"
    CHAT = "models/{model}/v1/chat/completions"


class InputKind(enum.Enum):
    """How ``inputs`` travel on the wire."""

    JSON = "json"  # {"inputs": ..., "parameters": ...}
    BINARY = "binary"  # raw bytes + content type; base64 JSON when there are parameters
    BINARY_IN_DICT = "binary_in_dict"  # {"image": <binary>, "question": ...} -> base64 JSON
    CHAT = "chat"  # {"messages": [...], ...}


class TaskSpec(msgspec.Struct, Generic[Out], frozen=True):
    """One task: route, input kind, wire type and the envelope -> natural shape step."""

    name: str
    route: Route
    input_kind: InputKind
    wire_type: Any
    shape: Callable[[Any, Any], Out] | None = None
    accept: str | None = None
    binary_output: bool = False
    stream: bool = False
    media: str = "image"  # what binary inputs are: "image" or "audio" (a PIL image is not audio)
    parameters: Any = None  # the TypedDict of the task's parameters (types.parameters)
    parameters_at_top: bool = False  # parameters sit beside "inputs", not in "parameters"
    compiled: Any = None  # the decoder, once built
    parameter_names: frozenset[str] = frozenset()  # the keys of ``parameters`` (derived)

    def __post_init__(self) -> None:
        if self.parameters is not None:
            msgspec.structs.force_setattr(self, "parameter_names", parameter_names(self.parameters))

    @property
    def decoder(self) -> msgspec.json.Decoder[Any]:
        """The body decoder, built on first use (30 of them at import cost ~10 ms) and kept."""
        decoder: msgspec.json.Decoder[Any] | None = self.compiled
        if decoder is None:
            decoder = msgspec.json.Decoder(self.wire_type)
            msgspec.structs.force_setattr(self, "compiled", decoder)
        return decoder

    def finish(self, wire: Any, inputs: Any) -> Out:
        """Turn a decoded envelope into this task's return value."""
        if self.shape is None:
            result: Out = wire
            return result
        return self.shape(wire, inputs)


# -- envelope shaping (the real API wraps answers differently per task) ------------------------


def _first_unless_batch(wire: Any, inputs: Any) -> Any:
    """One-element list for one input, a list for a batch."""
    if isinstance(wire, list):
        return wire if isinstance(inputs, list) else (wire[0] if wire else None)
    return wire


def _flatten_one(wire: Any, inputs: Any) -> Any:
    """``[[...]]`` for one input becomes ``[...]``."""
    if (
        isinstance(wire, list)
        and wire
        and isinstance(wire[0], list)
        and not isinstance(inputs, list)
    ):
        return wire[0]
    return wire


def _convert(type_: Any) -> Callable[[Any, Any], Any]:
    def shape(wire: Any, inputs: Any) -> Any:
        return msgspec.convert(wire, type_)

    return shape


def _text_classification(wire: Any, inputs: Any) -> Any:
    flat = _flatten_one(wire, inputs)
    if flat and isinstance(flat[0], list):
        return msgspec.convert(flat, list[list[t.TextClassificationOutputElement]])
    return msgspec.convert(flat, list[t.TextClassificationOutputElement])


def _fill_mask(wire: Any, inputs: Any) -> Any:
    if wire and isinstance(wire[0], list):
        return msgspec.convert(wire, list[list[t.FillMaskOutputElement]])
    return msgspec.convert(wire, list[t.FillMaskOutputElement])


def _zero_shot(wire: Any, inputs: Any) -> Any:
    if isinstance(wire, list):
        results = [
            msgspec.convert(w, t.ZeroShotClassificationWireOutput).to_elements() for w in wire
        ]
        return results if isinstance(inputs, list) else results[0]
    return msgspec.convert(wire, t.ZeroShotClassificationWireOutput).to_elements()


def _question_answering(wire: Any, inputs: Any) -> Any:
    if isinstance(wire, list):
        return msgspec.convert(wire, list[t.QuestionAnsweringOutputElement])
    return msgspec.convert(wire, t.QuestionAnsweringOutputElement)


def _document_qa(wire: Any, inputs: Any) -> Any:
    if isinstance(wire, dict):
        return [msgspec.convert(wire, t.DocumentQuestionAnsweringOutputElement)]
    return msgspec.convert(wire, list[t.DocumentQuestionAnsweringOutputElement])


def _asr(wire: Any, inputs: Any) -> Any:
    return msgspec.convert(_first_unless_batch(wire, inputs), t.AutomaticSpeechRecognitionOutput)


# -- the table -----------------------------------------------------------------------------------

J, B, D, C = InputKind.JSON, InputKind.BINARY, InputKind.BINARY_IN_DICT, InputKind.CHAT
M, P = Route.MODEL, Route.PIPELINE

FILL_MASK: TaskSpec[list[t.FillMaskOutputElement]] = TaskSpec(
    "fill-mask", M, J, Any, _fill_mask, parameters=p.FillMaskParameters
)
SUMMARIZATION: TaskSpec[t.SummarizationOutput] = TaskSpec(
    "summarization",
    M,
    J,
    t.SummarizationOutput | list[t.SummarizationOutput],
    _first_unless_batch,
    parameters=p.SummarizationParameters,
)
QUESTION_ANSWERING: TaskSpec[t.QuestionAnsweringOutputElement] = TaskSpec(
    "question-answering", M, J, Any, _question_answering, parameters=p.QuestionAnsweringParameters
)
TABLE_QUESTION_ANSWERING: TaskSpec[t.TableQuestionAnsweringOutputElement] = TaskSpec(
    "table-question-answering",
    M,
    J,
    t.TableQuestionAnsweringOutputElement,
    parameters=p.TableQuestionAnsweringParameters,
)
TEXT_CLASSIFICATION: TaskSpec[list[t.TextClassificationOutputElement]] = TaskSpec(
    "text-classification",
    M,
    J,
    Any,
    _text_classification,
    parameters=p.TextClassificationParameters,
)
TEXT_GENERATION: TaskSpec[t.TextGenerationOutput] = TaskSpec(
    "text-generation",
    M,
    J,
    t.TextGenerationOutput | list[t.TextGenerationOutput],
    _first_unless_batch,
    parameters=p.TextGenerationParameters,
)
#: ``text_generation(..., details=True)``: an answer without details does not decode.
TEXT_GENERATION_DETAILED: TaskSpec[t.DetailedTextGenerationOutput] = TaskSpec(
    "text-generation",
    M,
    J,
    t.DetailedTextGenerationOutput | list[t.DetailedTextGenerationOutput],
    _first_unless_batch,
    parameters=p.TextGenerationParameters,
)
TEXT_GENERATION_STREAM: TaskSpec[t.TextGenerationStreamOutput] = TaskSpec(
    "text-generation",
    M,
    J,
    t.TextGenerationStreamOutput,
    stream=True,
    parameters=p.TextGenerationParameters,
)
TOKEN_CLASSIFICATION: TaskSpec[list[t.TokenClassificationOutputElement]] = TaskSpec(
    "token-classification",
    M,
    J,
    list[t.TokenClassificationOutputElement],
    parameters=p.TokenClassificationParameters,
)
TRANSLATION: TaskSpec[t.TranslationOutput] = TaskSpec(
    "translation",
    M,
    J,
    t.TranslationOutput | list[t.TranslationOutput],
    _first_unless_batch,
    parameters=p.TranslationParameters,
)
ZERO_SHOT_CLASSIFICATION: TaskSpec[list[t.ZeroShotClassificationOutputElement]] = TaskSpec(
    "zero-shot-classification", M, J, Any, _zero_shot, parameters=p.ZeroShotClassificationParameters
)
SENTENCE_SIMILARITY: TaskSpec[list[float]] = TaskSpec(
    "sentence-similarity", P, J, list[float], parameters=p.SentenceSimilarityParameters
)
FEATURE_EXTRACTION: TaskSpec[list[Any]] = TaskSpec(
    "feature-extraction",
    P,
    J,
    list[Any],
    parameters=p.FeatureExtractionParameters,
    parameters_at_top=True,
)
AUTOMATIC_SPEECH_RECOGNITION: TaskSpec[t.AutomaticSpeechRecognitionOutput] = TaskSpec(
    "automatic-speech-recognition",
    M,
    B,
    Any,
    _asr,
    media="audio",
    parameters=p.AutomaticSpeechRecognitionParameters,
)
AUDIO_CLASSIFICATION: TaskSpec[list[t.AudioClassificationOutputElement]] = TaskSpec(
    "audio-classification",
    M,
    B,
    list[t.AudioClassificationOutputElement],
    media="audio",
    parameters=p.AudioClassificationParameters,
)
TEXT_TO_SPEECH: TaskSpec[t.BinaryOutput] = TaskSpec(
    "text-to-speech", M, J, Any, binary_output=True, parameters=p.TextToSpeechParameters
)
AUDIO_TO_AUDIO: TaskSpec[list[t.AudioToAudioOutputElement]] = TaskSpec(
    "audio-to-audio",
    M,
    B,
    list[t.AudioToAudioOutputElement],
    media="audio",
    parameters=p.AudioToAudioParameters,
)
IMAGE_CLASSIFICATION: TaskSpec[list[t.ImageClassificationOutputElement]] = TaskSpec(
    "image-classification",
    M,
    B,
    list[t.ImageClassificationOutputElement],
    parameters=p.ImageClassificationParameters,
)
OBJECT_DETECTION: TaskSpec[list[t.ObjectDetectionOutputElement]] = TaskSpec(
    "object-detection",
    M,
    B,
    list[t.ObjectDetectionOutputElement],
    parameters=p.ObjectDetectionParameters,
)
IMAGE_SEGMENTATION: TaskSpec[list[t.ImageSegmentationOutputElement]] = TaskSpec(
    "image-segmentation",
    M,
    B,
    list[t.ImageSegmentationOutputElement],
    parameters=p.ImageSegmentationParameters,
)
IMAGE_TO_TEXT: TaskSpec[t.ImageToTextOutput] = TaskSpec(
    "image-to-text",
    M,
    B,
    t.ImageToTextOutput | list[t.ImageToTextOutput],
    _first_unless_batch,
    parameters=p.ImageToTextParameters,
)
TEXT_TO_IMAGE: TaskSpec[t.BinaryOutput] = TaskSpec(
    "text-to-image",
    M,
    J,
    Any,
    accept="image/png",
    binary_output=True,
    parameters=p.TextToImageParameters,
)
IMAGE_TO_IMAGE: TaskSpec[t.BinaryOutput] = TaskSpec(
    "image-to-image",
    M,
    B,
    Any,
    accept="image/png",
    binary_output=True,
    parameters=p.ImageToImageParameters,
)
TEXT_TO_VIDEO: TaskSpec[t.BinaryOutput] = TaskSpec(
    "text-to-video",
    M,
    J,
    Any,
    accept="video/mp4",
    binary_output=True,
    parameters=p.TextToVideoParameters,
)
IMAGE_TO_VIDEO: TaskSpec[t.BinaryOutput] = TaskSpec(
    "image-to-video",
    M,
    B,
    Any,
    accept="video/mp4",
    binary_output=True,
    parameters=p.ImageToVideoParameters,
)
ZERO_SHOT_IMAGE_CLASSIFICATION: TaskSpec[list[t.ZeroShotImageClassificationOutputElement]] = (
    TaskSpec(
        "zero-shot-image-classification",
        M,
        B,
        list[t.ZeroShotImageClassificationOutputElement],
        parameters=p.ZeroShotImageClassificationParameters,
    )
)
VISUAL_QUESTION_ANSWERING: TaskSpec[list[t.VisualQuestionAnsweringOutputElement]] = TaskSpec(
    "visual-question-answering",
    M,
    D,
    list[t.VisualQuestionAnsweringOutputElement],
    parameters=p.VisualQuestionAnsweringParameters,
)
DOCUMENT_QUESTION_ANSWERING: TaskSpec[list[t.DocumentQuestionAnsweringOutputElement]] = TaskSpec(
    "document-question-answering",
    M,
    D,
    Any,
    _document_qa,
    parameters=p.DocumentQuestionAnsweringParameters,
)
TABULAR_REGRESSION: TaskSpec[list[float]] = TaskSpec(
    "tabular-regression", M, J, list[float], parameters=p.TabularRegressionParameters
)
TABULAR_CLASSIFICATION: TaskSpec[list[Any]] = TaskSpec(
    "tabular-classification", M, J, list[Any], parameters=p.TabularClassificationParameters
)
CHAT_COMPLETION: TaskSpec[t.ChatCompletionOutput] = TaskSpec(
    "chat-completion", Route.CHAT, C, t.ChatCompletionOutput, parameters=ChatCompletionParameters
)
CHAT_COMPLETION_STREAM: TaskSpec[t.ChatCompletionStreamOutput] = TaskSpec(
    "chat-completion",
    Route.CHAT,
    C,
    t.ChatCompletionStreamOutput,
    stream=True,
    parameters=ChatCompletionParameters,
)
CONVERSATIONAL: TaskSpec[t.ChatCompletionOutput] = TaskSpec(
    "conversational", Route.CHAT, C, t.ChatCompletionOutput, parameters=p.ConversationalParameters
)

#: Method/function name -> spec. Holds every task exactly once (a test keeps it in step with
#: the client methods and the module functions).
TASKS: Mapping[str, TaskSpec[Any]] = {
    "fill_mask": FILL_MASK,
    "summarization": SUMMARIZATION,
    "question_answering": QUESTION_ANSWERING,
    "table_question_answering": TABLE_QUESTION_ANSWERING,
    "text_classification": TEXT_CLASSIFICATION,
    "text_generation": TEXT_GENERATION,
    "text_generation_stream": TEXT_GENERATION_STREAM,
    "token_classification": TOKEN_CLASSIFICATION,
    "translation": TRANSLATION,
    "zero_shot_classification": ZERO_SHOT_CLASSIFICATION,
    "conversational": CONVERSATIONAL,
    "sentence_similarity": SENTENCE_SIMILARITY,
    "chat_completion": CHAT_COMPLETION,
    "chat_completion_stream": CHAT_COMPLETION_STREAM,
    "automatic_speech_recognition": AUTOMATIC_SPEECH_RECOGNITION,
    "audio_classification": AUDIO_CLASSIFICATION,
    "text_to_speech": TEXT_TO_SPEECH,
    "audio_to_audio": AUDIO_TO_AUDIO,
    "image_classification": IMAGE_CLASSIFICATION,
    "object_detection": OBJECT_DETECTION,
    "image_segmentation": IMAGE_SEGMENTATION,
    "image_to_text": IMAGE_TO_TEXT,
    "text_to_image": TEXT_TO_IMAGE,
    "image_to_image": IMAGE_TO_IMAGE,
    "text_to_video": TEXT_TO_VIDEO,
    "image_to_video": IMAGE_TO_VIDEO,
    "zero_shot_image_classification": ZERO_SHOT_IMAGE_CLASSIFICATION,
    "feature_extraction": FEATURE_EXTRACTION,
    "visual_question_answering": VISUAL_QUESTION_ANSWERING,
    "document_question_answering": DOCUMENT_QUESTION_ANSWERING,
    "tabular_regression": TABULAR_REGRESSION,
    "tabular_classification": TABULAR_CLASSIFICATION,
}

#: Wire task name -> spec, for ``client.request(..., task=...)``.
BY_WIRE_NAME: Mapping[str, TaskSpec[Any]] = {
    spec.name: spec for spec in TASKS.values() if not spec.stream
}


async def request_body(
    spec: TaskSpec[Any],
    inputs: Any,
    parameters: Mapping[str, Any] | None,
    extra_body: Mapping[str, Any] | None,
    download: Downloader,
    stream: bool = False,
) -> tuple[Body, str | None]:
    """(body, content type) of one serverless call, following the task's input kind."""
    parameters = check_parameters(parameters)
    extra = dict(extra_body or {})
    if spec.parameters_at_top and parameters:
        extra = {**parameters, **extra}
        parameters = None
    kind = spec.input_kind
    if kind is InputKind.BINARY and is_binary_input(inputs):
        if not parameters and not extra:
            data = await read_binary(inputs, download, allow_stream=True, media=spec.media)
            if isinstance(data, AsyncIterable):
                return data, "application/octet-stream"
            return data, sniff_content_type(data)
        data = await read_binary(inputs, download, media=spec.media)
        assert not isinstance(data, AsyncIterable)
        inputs = b64(data)
    elif kind is InputKind.BINARY_IN_DICT and isinstance(inputs, Mapping):
        inputs = dict(inputs)
        if "image" in inputs and is_binary_input(inputs["image"]):
            data = await read_binary(inputs["image"], download)
            assert not isinstance(data, AsyncIterable)
            inputs["image"] = b64(data)
    if stream:
        extra["stream"] = True
    return json_body(inputs_payload(inputs, parameters, extra)), "application/json"


async def read_answer(spec: TaskSpec[Out], response: Response, inputs: Any, max_size: int) -> Out:
    """A serverless answer as the task's value: bytes for media, else decoded and shaped."""
    body = await response.read(max_size)
    keep_raw(body, response)
    why = "expected binary data, got JSON"
    if spec.binary_output:
        if response.media_type != "application/json":
            result: Any = t.BinaryOutput(body, response.media_type or "application/octet-stream")
            return result  # type: ignore[no-any-return]
    else:
        try:
            return spec.finish(spec.decoder.decode(body), inputs)
        except (msgspec.ValidationError, msgspec.DecodeError, IndexError, TypeError) as exc:
            why = str(exc)
    raise DecodeError(
        f"{spec.name} answer could not be decoded: {why}",
        status=response.status,
        model=response.model,
        request_id=response.request_id,
        body=body,
    )


def stream_is_complete(event: Any) -> bool:
    """A stream may end at end of body once its final event arrived.

    TGI's final event carries ``generated_text``; a chat stream that ends without [DONE] is
    complete once a choice reported a ``finish_reason`` (or the usage chunk came after it).
    """
    if isinstance(event, t.TextGenerationStreamOutput):
        return event.generated_text is not None or event.details is not None
    if isinstance(event, t.ChatCompletionStreamOutput):
        return event.usage is not None or any(c.finish_reason for c in event.choices)
    return True
