"""Cohere: chat on its OpenAI compatibility route (JSON schemas as ``json_object``)."""

from ._base import OpenAIChat, Provider, schema_as_json_object

PROVIDER = Provider(
    "cohere",
    "https://api.cohere.com",
    {"conversational": OpenAIChat("/compatibility/v1/chat/completions", schema_as_json_object)},
)
