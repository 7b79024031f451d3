"""Which task answers a request: URL parsing and the model -> task rules.

The rules, first match wins:

1. a model named ``task/<task>/<anything>`` (``task/fill-mask/my-model``);
2. a ``/pipeline/<task>`` segment in the URL;
3. the ``x-hf-task`` request header;
4. the table of well-known model ids below (the ones in the recorded traffic);
5. keywords in the model name (``tgi``, ``gpt``, ``llama`` -> text-generation,
   ``stable-diffusion``/``sd`` -> text-to-image, ``whisper`` -> speech recognition, ...);
6. the shape of the body (an image upload -> image-classification, ``{"question",
   "context"}`` -> question-answering, ``candidate_labels`` -> zero-shot, ...);
7. text-generation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..providers.hf_inference import TASKS as HF_INFERENCE_TASKS
from ._base import b64

#: The tasks the serverless API serves: the hf-inference provider's own list.
TASKS = frozenset(HF_INFERENCE_TASKS)

KNOWN_MODELS: dict[str, str] = {
    "alefiury/wav2vec2-large-xlsr-53-gender-recognition-librispeech": "audio-classification",
    "superb/hubert-large-superb-er": "audio-classification",
    "speechbrain/sepformer-wham": "audio-to-audio",
    "facebook/wav2vec2-base-960h": "automatic-speech-recognition",
    "facebook/wav2vec2-large-960h-lv60-self": "automatic-speech-recognition",
    "jonatasgrosman/wav2vec2-large-xlsr-53-english": "automatic-speech-recognition",
    "openai/whisper-large-v3": "automatic-speech-recognition",
    "facebook/blenderbot-400M-distill": "conversational",
    "naver-clova-ix/donut-base-finetuned-docvqa": "document-question-answering",
    "impira/layoutlm-document-qa": "document-question-answering",
    "facebook/bart-base": "feature-extraction",
    "sentence-transformers/all-MiniLM-L6-v2": "feature-extraction",
    "sentence-transformers/distilbert-base-nli-mean-tokens": "feature-extraction",
    "sentence-transformers/paraphrase-albert-small-v2": "feature-extraction",
    "sentence-transformers/paraphrase-xlm-r-multilingual-v1": "feature-extraction",
    "bert-base-uncased": "fill-mask",
    "google-bert/bert-base-uncased": "fill-mask",
    "distilroberta-base": "fill-mask",
    "google/vit-base-patch16-224": "image-classification",
    "facebook/detr-resnet-50-panoptic": "image-segmentation",
    "timbrooks/instruct-pix2pix": "image-to-image",
    "Salesforce/blip-image-captioning-base": "image-to-text",
    "nlpconnect/vit-gpt2-image-captioning": "image-to-text",
    "facebook/detr-resnet-50": "object-detection",
    "deepset/roberta-base-squad2": "question-answering",
    "sshleifer/distilbart-cnn-12-6": "summarization",
    "google/pegasus-xsum": "summarization",
    "facebook/bart-large-cnn": "summarization",
    "google/tapas-base-finetuned-wtq": "table-question-answering",
    "vvmnnnkv/wine-quality": "tabular-classification",
    "scikit-learn/Fish-Weight": "tabular-regression",
    "distilbert-base-uncased-finetuned-sst-2-english": "text-classification",
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english": "text-classification",
    "CompVis/stable-diffusion-v1-4": "text-to-image",
    "stabilityai/stable-diffusion-2": "text-to-image",
    "espnet/kan-bayashi_ljspeech_vits": "text-to-speech",
    "dbmdz/bert-large-cased-finetuned-conll03-english": "token-classification",
    "facebook/mbart-large-50-many-to-many-mmt": "translation",
    "t5-base": "translation",
    "t5-small": "translation",
    "google-t5/t5-small": "translation",
    "dandelin/vilt-b32-finetuned-vqa": "visual-question-answering",
    "facebook/bart-large-mnli": "zero-shot-classification",
    "openai/clip-vit-base-patch32": "zero-shot-image-classification",
    "openai/clip-vit-large-patch14-336": "zero-shot-image-classification",
}

# Matched against the words of the model name: a keyword matches a word it starts ("gpt"
# matches "gpt2"), or only the whole word when it ends with "$" ("sam$" must not match
# "samsum"). Order matters: "vits" must win over "vit", "flan" over "t5".
KEYWORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "tgi",
            "flan",
            "gpt",
            "dialogpt",
            "llama",
            "mistral",
            "mixtral",
            "zephyr",
            "gemma",
            "qwen",
            "phi",
            "falcon",
            "bloom",
            "deepseek",
            "smollm",
            "starcoder",
            "instruct",
            "chat",
        ),
        "text-generation",
    ),
    (("whisper", "wav2vec2", "asr$"), "automatic-speech-recognition"),
    (("tts", "vits", "bark", "speecht5", "mms$"), "text-to-speech"),
    (("sepformer", "demucs"), "audio-to-audio"),
    (("hubert", "ast$", "audio"), "audio-classification"),
    (("clip", "siglip"), "zero-shot-image-classification"),
    (("pix2pix", "controlnet", "img2img", "refiner"), "image-to-image"),
    (("stable", "sd", "flux", "diffusion", "dalle"), "text-to-image"),
    (
        ("panoptic", "segformer", "mask2former", "maskformer", "sam$", "segmentation"),
        "image-segmentation",
    ),
    (("detr", "yolo", "detection"), "object-detection"),
    (("blip", "captioning", "git$"), "image-to-text"),
    (("vilt", "vqa"), "visual-question-answering"),
    (("donut", "layoutlm", "docvqa"), "document-question-answering"),
    (("vit", "resnet", "convnext", "beit", "swin", "efficientnet"), "image-classification"),
    (("tapas", "tapex"), "table-question-answering"),
    (("squad", "qa$"), "question-answering"),
    (("mnli", "nli$", "zero"), "zero-shot-classification"),
    (("sst", "sentiment", "emotion", "toxic", "classifier"), "text-classification"),
    (("ner$", "conll", "pos$"), "token-classification"),
    (("pegasus", "summarization", "summarizer", "distilbart", "cnn$"), "summarization"),
    (("t5", "mbart", "opus", "nllb", "m2m100", "marian", "translation"), "translation"),
    (
        ("sentence", "minilm", "mpnet", "bge", "e5", "gte$", "embedding", "embed"),
        "feature-extraction",
    ),
    (("bert", "roberta", "distilroberta", "albert", "electra", "deberta"), "fill-mask"),
    (("tabular", "sklearn", "xgboost"), "tabular-classification"),
)

_WORD = re.compile(r"[A-Za-z0-9]+")
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")
_AUDIO_MAGIC = (b"fLaC", b"ID3", b"OggS", b"\xff\xfb", b"\xff\xf3", b"\x1aE\xdf\xa3")


@dataclass(frozen=True)
class Route:
    """A parsed URL: what kind of call, for which model or endpoint."""

    kind: str  # "task", "chat", "router-chat", "endpoint"
    model: str = ""
    task: str | None = None  # from /pipeline/<task>
    sub: str = ""  # endpoint sub-path: "", "generate", "generate_stream", "info", ...


def parse_path(path: str) -> Route | None:
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "inference-proxy"]:
        parts = parts[2:]
    if parts[:1] == ["hf-inference"]:
        parts = parts[1:]
    if not parts:
        return None
    head, rest = parts[0], parts[1:]
    if head == "models" and rest:
        if rest[-3:] == ["v1", "chat", "completions"] and len(rest) > 3:
            return Route("chat", "/".join(rest[:-3]))
        if len(rest) >= 3 and rest[-2] == "pipeline":
            return Route("task", "/".join(rest[:-2]), task=rest[-1])
        return Route("task", "/".join(rest))
    if head == "pipeline" and len(rest) >= 2:
        return Route("task", "/".join(rest[1:]), task=rest[0])
    if parts == ["v1", "chat", "completions"]:
        return Route("router-chat")
    if head == "endpoints" and rest:
        return Route("endpoint", rest[0], sub="/".join(rest[1:]))
    return None


def model_exists(model: str) -> bool:
    """Every model exists except the ones named to test 404s."""
    return not (model.startswith("missing/") or "does-not-exist" in model)


def is_tgi(model: str) -> bool:
    """Text-generation models are served by TGI unless their name says ``non-tgi``."""
    return "non-tgi" not in model.lower()


def task_for_model(model: str) -> str | None:
    """The task a model id names by itself (rules 1, 4 and 5), or None."""
    if model.startswith("task/"):
        name = model.split("/")[1] if model.count("/") >= 1 else ""
        if name in TASKS:
            return name
    known = KNOWN_MODELS.get(model)
    if known is not None:
        return known
    words = [w.lower() for w in _WORD.findall(model.split("/")[-1])]
    if "/" in model:
        words += [w.lower() for w in _WORD.findall(model.split("/")[0])]
    for keywords, task in KEYWORDS:
        for word in words:
            for keyword in keywords:
                if word == keyword[:-1] if keyword.endswith("$") else word.startswith(keyword):
                    return task
    return None


def refine_task(task: str, json: Any) -> str:
    """Sentence-transformers models answer sentence-similarity bodies on their model URL."""
    inputs = json.get("inputs") if isinstance(json, dict) else None
    if task == "feature-extraction" and isinstance(inputs, dict) and "source_sentence" in inputs:
        return "sentence-similarity"
    return task


def task_for_body(json: Any, raw: bytes | None, content_type: str) -> str:
    """Rule 6: guess the task from the body shape."""
    if raw is not None:
        return (
            "automatic-speech-recognition"
            if _is_audio(raw, content_type)
            else ("image-classification")
        )
    if not isinstance(json, dict):
        return "feature-extraction" if isinstance(json, list) else "text-generation"
    inputs = json.get("inputs", json)
    params = json.get("parameters")
    if not isinstance(params, dict):
        params = {}
    if isinstance(inputs, dict):
        keys = set(inputs)
        if "table" in keys:
            return "table-question-answering"
        if "source_sentence" in keys:
            return "sentence-similarity"
        if "image" in keys and "question" in keys:
            return "visual-question-answering"
        if "question" in keys and "context" in keys:
            return "question-answering"
        if "data" in keys:
            return "tabular-regression"
        if "past_user_inputs" in keys or "generated_responses" in keys:
            return "conversational"
        if "image" in keys:
            return "image-to-image"
    if isinstance(inputs, str):
        binary = _base64_kind(inputs)
        if "candidate_labels" in params:
            return (
                "zero-shot-image-classification"
                if binary == "image"
                else ("zero-shot-classification")
            )
        if binary == "image":
            return "image-classification"
        if binary == "audio":
            return "automatic-speech-recognition"
        if "src_lang" in params or "tgt_lang" in params:
            return "translation"
        if "[MASK]" in inputs or "<mask>" in inputs:
            return "fill-mask"
        return "text-generation"
    if isinstance(inputs, list):
        if "candidate_labels" in params:
            return "zero-shot-classification"
        return "feature-extraction"
    return "text-generation"


def _is_audio(raw: bytes, content_type: str) -> bool:
    if content_type.startswith(("audio/", "video/")):
        return True
    if content_type.startswith("image/"):
        return False
    if raw[:4] == b"RIFF":
        return raw[8:12] == b"WAVE"
    return raw.startswith(_AUDIO_MAGIC) or raw[4:8] == b"ftyp"


def _base64_kind(value: str) -> str | None:
    if value.startswith("data:") and "," in value:
        value = value.split(",", 1)[1]
    if len(value) < 16 or " " in value:
        return None
    head = value[:64]
    data = b64(head[: len(head) // 4 * 4])
    if not data:
        return None
    if data.startswith(_IMAGE_MAGIC) or data[8:12] == b"WEBP":
        return "image"
    if _is_audio(data, ""):
        return "audio"
    return None
