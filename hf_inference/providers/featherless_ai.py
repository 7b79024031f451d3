"""Featherless AI: OpenAI-compatible chat and completions."""

from ._base import OpenAIChat, OpenAICompletions, Provider

PROVIDER = Provider(
    "featherless-ai",
    "https://api.featherless.ai",
    {"conversational": OpenAIChat(), "text-generation": OpenAICompletions()},
)
