"""hf-inference: Hugging Face's own serverless API, sent exactly as the client always has.

Its calls are not built by a shape: the client's task table already knows every route,
input kind and envelope, so this row only lists the tasks (for ``auto`` and the docs table).
"""

from ._base import Provider, Shape

BASE_URL = "https://router.huggingface.co/hf-inference"

#: Hub task names the serverless API serves.
TASKS = (
    "audio-classification",
    "audio-to-audio",
    "automatic-speech-recognition",
    "conversational",
    "document-question-answering",
    "feature-extraction",
    "fill-mask",
    "image-classification",
    "image-segmentation",
    "image-to-image",
    "image-to-text",
    "object-detection",
    "question-answering",
    "sentence-similarity",
    "summarization",
    "table-question-answering",
    "tabular-classification",
    "tabular-regression",
    "text-classification",
    "text-generation",
    "text-to-image",
    "text-to-speech",
    "token-classification",
    "translation",
    "visual-question-answering",
    "zero-shot-classification",
    "zero-shot-image-classification",
)


class Serverless(Shape):
    """Marks the serverless route: the client's own task machinery sends the call."""


PROVIDER = Provider("hf-inference", BASE_URL, {task: Serverless(task, "") for task in TASKS})
