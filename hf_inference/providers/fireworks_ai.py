"""Fireworks AI: OpenAI-compatible chat under ``/inference`` (JSON schemas as ``json_object``)."""

from ._base import OpenAIChat, Provider, schema_as_json_object

PROVIDER = Provider(
    "fireworks-ai",
    "https://api.fireworks.ai",
    {"conversational": OpenAIChat("/inference/v1/chat/completions", schema_as_json_object)},
)
