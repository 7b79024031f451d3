"""Groq: OpenAI-compatible chat under ``/openai``."""

from ._base import OpenAIChat, Provider

PROVIDER = Provider(
    "groq", "https://api.groq.com", {"conversational": OpenAIChat("/openai/v1/chat/completions")}
)
