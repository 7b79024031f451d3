"""Novita: OpenAI-compatible chat and completions under ``/v3/openai``, and video."""

from typing import Any

from ._base import Call, MediaAnswer, OpenAIChat, OpenAICompletions, Provider, drop_none, media_at


def _video(call: Call) -> dict[str, Any]:
    return {"prompt": call.inputs, **drop_none(call.parameters)}


PROVIDER = Provider(
    "novita",
    "https://api.novita.ai",
    {
        "conversational": OpenAIChat("/v3/openai/chat/completions"),
        "text-generation": OpenAICompletions("/v3/openai/completions"),
        "text-to-video": MediaAnswer(
            "text-to-video", "/v3/hf/{model}", _video, media_at("video", "video_url")
        ),
    },
)
