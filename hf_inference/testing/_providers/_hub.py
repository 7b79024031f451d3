"""The Hub's model -> provider mapping (``GET /api/models/{id}?expand[]=inferenceProviderMapping``).

The Hub answers ``{"_id", "id", "inferenceProviderMapping": [...]}``; each entry names the
provider, the model's id there (``providerId``), the ``task`` and the ``status`` (``live`` or
``staging``), sometimes a LoRA ``adapter`` and ``adapterWeightsPath``; the list order is the
user's provider preference. Older answers were a dict keyed by provider. An unknown model is
a 404 ``{"error": "Repository not found"}`` with ``X-Error-Code: RepoNotFound`` (a 401 when
the request carries no token).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._base import digest

__all__ = ["DEFAULT_MAPPINGS", "ModelMapping", "hub_answer", "normalise_entries"]

_ENTRY_KEYS = frozenset(
    {"provider", "providerId", "task", "status", "adapter", "adapterWeightsPath", "type"}
)


def _rows(task: str, *pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"provider": p, "providerId": pid, "task": task, "status": "live"} for p, pid in pairs]


#: Well-known models and who serves them (a snapshot in the Hub's shape; tests add more).
DEFAULT_MAPPINGS: dict[str, list[dict[str, Any]]] = {
    "black-forest-labs/FLUX.1-schnell": _rows(
        "text-to-image",
        ("fal-ai", "fal-ai/flux/schnell"),
        ("replicate", "black-forest-labs/flux-schnell"),
        ("together", "black-forest-labs/FLUX.1-schnell"),
        ("nscale", "black-forest-labs/FLUX.1-schnell"),
        ("wavespeed", "wavespeed-ai/flux-schnell"),
        ("hf-inference", "black-forest-labs/FLUX.1-schnell"),
    ),
    "black-forest-labs/FLUX.1-dev": _rows(
        "text-to-image",
        ("fal-ai", "fal-ai/flux/dev"),
        ("replicate", "black-forest-labs/flux-dev"),
        ("together", "black-forest-labs/FLUX.1-dev"),
    ),
    "zai-org/CogView4-6B": _rows("text-to-image", ("zai-org", "cogview-4-250304")),
    "black-forest-labs/FLUX.1-Kontext-dev": _rows(
        "image-to-image",
        ("fal-ai", "fal-ai/flux-kontext/dev"),
        ("replicate", "black-forest-labs/flux-kontext-dev"),
        ("together", "black-forest-labs/FLUX.1-kontext-dev"),
        ("wavespeed", "wavespeed-ai/flux-kontext-dev"),
    ),
    "openai/whisper-large-v3": _rows(
        "automatic-speech-recognition",
        ("fal-ai", "fal-ai/whisper"),
        (
            "replicate",
            "vaibhavs10/incredibly-fast-whisper:3ab86df6c8f54c11309d4d1f930ac292bad43ace52d10c80d87eb258b3c9f79c",
        ),
        ("deepinfra", "openai/whisper-large-v3"),
        ("hf-inference", "openai/whisper-large-v3"),
    ),
    "hexgrad/Kokoro-82M": _rows(
        "text-to-speech",
        ("fal-ai", "fal-ai/kokoro/american-english"),
        (
            "replicate",
            "jaaari/kokoro-82m:f559560eb822dc509045f3921a1921234918b91739db4bf3daab2169b71c7a13",
        ),
        ("deepinfra", "hexgrad/Kokoro-82M"),
        ("together", "hexgrad/Kokoro-82M"),
    ),
    "Wan-AI/Wan2.1-T2V-14B": _rows(
        "text-to-video",
        ("fal-ai", "fal-ai/wan-t2v"),
        ("replicate", "wavespeedai/wan-2.1-t2v-480p"),
        ("novita", "wan-t2v"),
        ("wavespeed", "wavespeed-ai/wan-2.1/t2v-480p"),
        ("together", "Wan-AI/Wan2.1-T2V-14B"),
    ),
    "Wan-AI/Wan2.1-I2V-14B-720P": _rows(
        "image-to-video",
        ("fal-ai", "fal-ai/wan-i2v"),
        ("wavespeed", "wavespeed-ai/wan-2.1/i2v-720p"),
        ("together", "Wan-AI/Wan2.1-I2V-14B-720P"),
    ),
    "briaai/RMBG-2.0": _rows("image-segmentation", ("fal-ai", "fal-ai/bria/background/remove")),
    "meta-llama/Llama-3.1-8B-Instruct": _rows(
        "conversational",
        ("cerebras", "llama3.1-8b"),
        ("groq", "llama-3.1-8b-instant"),
        ("novita", "meta-llama/llama-3.1-8b-instruct"),
        ("nscale", "meta-llama/Llama-3.1-8B-Instruct"),
        ("featherless-ai", "meta-llama/Meta-Llama-3.1-8B-Instruct"),
        ("fireworks-ai", "accounts/fireworks/models/llama-v3p1-8b-instruct"),
        ("scaleway", "llama-3.1-8b-instruct"),
        ("ovhcloud", "Llama-3.1-8B-Instruct"),
        ("deepinfra", "meta-llama/Meta-Llama-3.1-8B-Instruct"),
        ("together", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
        ("hf-inference", "meta-llama/Llama-3.1-8B-Instruct"),
    ),
    "openai/gpt-oss-120b": _rows(
        "conversational",
        ("baseten", "openai/gpt-oss-120b"),
        ("cerebras", "gpt-oss-120b"),
        ("groq", "openai/gpt-oss-120b"),
        ("fireworks-ai", "accounts/fireworks/models/gpt-oss-120b"),
        ("together", "openai/gpt-oss-120b"),
        ("novita", "openai/gpt-oss-120b"),
        ("nscale", "openai/gpt-oss-120b"),
        ("ovhcloud", "gpt-oss-120b"),
        ("publicai", "openai/gpt-oss-120b"),
    ),
    "CohereLabs/c4ai-command-r7b-12-2024": _rows(
        "conversational", ("cohere", "command-r7b-12-2024")
    ),
    "zai-org/GLM-4.5": _rows(
        "conversational", ("zai-org", "glm-4.5"), ("novita", "zai-org/glm-4.5")
    ),
    "swiss-ai/Apertus-8B-Instruct-2509": _rows(
        "conversational", ("publicai", "swiss-ai/apertus-8b-instruct")
    ),
    "mistralai/Mixtral-8x7B-v0.1": _rows(
        "text-generation",
        ("together", "mistralai/Mixtral-8x7B-v0.1"),
        ("featherless-ai", "mistralai/Mixtral-8x7B-v0.1"),
        ("deepinfra", "mistralai/Mixtral-8x7B-v0.1"),
        ("novita", "mistralai/mixtral-8x7b-v0.1"),
    ),
    "Qwen/Qwen3-Embedding-8B": _rows(
        "feature-extraction",
        ("scaleway", "qwen3-embedding-8b"),
        ("deepinfra", "Qwen/Qwen3-Embedding-8B"),
        ("together", "Qwen/Qwen3-Embedding-8B"),
        ("hf-inference", "Qwen/Qwen3-Embedding-8B"),
    ),
}


@dataclass(frozen=True)
class ModelMapping:
    """One model's mapping as the server answers it."""

    entries: tuple[dict[str, Any], ...]
    legacy_dict: bool = False

    def payload(self) -> Any:
        if not self.legacy_dict:
            return [dict(entry) for entry in self.entries]
        return {
            entry["provider"]: {k: v for k, v in entry.items() if k != "provider"}
            for entry in self.entries
        }


def normalise_entries(
    model: str, entries: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], ...]:
    """Check test-supplied entries early, with a message naming what is wrong."""
    out = []
    for i, entry in enumerate(entries):
        missing = {"provider", "providerId", "task"} - set(entry)
        if missing:
            raise ValueError(
                f"mapping entry {i} of {model} lacks {sorted(missing)}: {dict(entry)!r}"
            )
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise ValueError(
                f"mapping entry {i} of {model} has unknown keys {sorted(unknown)}; "
                f"known: {sorted(_ENTRY_KEYS)}"
            )
        out.append({**entry, "status": entry.get("status", "live")})
    return tuple(out)


def hub_answer(model: str, mapping: ModelMapping) -> dict[str, Any]:
    object_id = f"{digest(model):08x}{digest(model, 1):08x}{digest(model, 2):08x}"
    return {"_id": object_id, "id": model, "inferenceProviderMapping": mapping.payload()}
