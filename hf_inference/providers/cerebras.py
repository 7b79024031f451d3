"""Cerebras: OpenAI-compatible chat."""

from ._base import OpenAIChat, Provider

PROVIDER = Provider("cerebras", "https://api.cerebras.ai", {"conversational": OpenAIChat()})
