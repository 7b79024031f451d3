"""The task table: task name -> function computing the deterministic answer.

Every function takes the parsed request (``TaskInput``) and returns a JSON-able object or a
``Binary`` answer, or raises ``ApiError``. Text generation on TGI and chat completions are
not here: they stream, and the server runs them from ``_generation`` and ``_chat``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _text, _vision
from ._base import ApiError, TaskInput, bad_request, digest
from ._generation import DEFAULT_MAX_NEW_TOKENS, parse_generate, vocab_tokens

TaskFunction = Callable[[TaskInput], Any]

#: Parameters only TGI understands; transformers pipelines reject them.
_TGI_ONLY = (
    "details",
    "stop",
    "watermark",
    "decoder_input_details",
    "best_of",
    "top_n_tokens",
    "grammar",
)


def pipeline_text_generation(req: TaskInput) -> Any:
    """A text-generation model served by a transformers pipeline, not TGI (``non-tgi``)."""
    body = req.json if isinstance(req.json, dict) else {}
    if body.get("stream"):
        raise bad_request(["Error in `stream`: `stream` is not supported for this model"])
    unused = [k for k in _TGI_ONLY if req.params.get(k) is not None]
    if unused:
        message = (
            f"The following `model_kwargs` are not used by the model: {unused} "
            "(note: typos in the generate arguments will also show up in this list)"
        )
        raise bad_request(message, warnings=[f"There was an inference error: {message}"])
    out = []
    for text in req.texts():
        plain = {
            "inputs": text,
            "parameters": {k: v for k, v in req.params.items() if k in ("max_new_tokens", "seed")},
        }
        gen = parse_generate(plain, stream=False, raw_length=0)
        tokens = vocab_tokens(digest(text, gen.seed), gen.max_new_tokens or DEFAULT_MAX_NEW_TOKENS)
        generated = "".join(t.text for t in tokens)
        full = req.params.get("return_full_text", True)
        out.append({"generated_text": (text + generated) if full else generated})
    return out


TASKS: dict[str, TaskFunction] = {
    "audio-classification": _vision.audio_classification,
    "audio-to-audio": _vision.audio_to_audio,
    "automatic-speech-recognition": _vision.automatic_speech_recognition,
    "conversational": _text.conversational,
    "document-question-answering": _vision.document_question_answering,
    "feature-extraction": _text.feature_extraction,
    "fill-mask": _text.fill_mask,
    "image-classification": _vision.image_classification,
    "image-segmentation": _vision.image_segmentation,
    "image-to-image": _vision.image_to_image,
    "image-to-text": _vision.image_to_text,
    "object-detection": _vision.object_detection,
    "question-answering": _text.question_answering,
    "sentence-similarity": _text.sentence_similarity,
    "summarization": _text.summarization,
    "table-question-answering": _text.table_question_answering,
    "tabular-classification": _text.tabular_classification,
    "tabular-regression": _text.tabular_regression,
    "text-classification": _text.text_classification,
    "text-to-image": _vision.text_to_image,
    "text-to-speech": _vision.text_to_speech,
    "token-classification": _text.token_classification,
    "translation": _text.translation,
    "visual-question-answering": _vision.visual_question_answering,
    "zero-shot-classification": _text.zero_shot_classification,
    "zero-shot-image-classification": _vision.zero_shot_image_classification,
}


def run_task(req: TaskInput) -> Any:
    function = TASKS.get(req.task)
    if function is None:
        raise ApiError(400, {"error": f"Task {req.task} is not supported by this server"})
    return function(req)
