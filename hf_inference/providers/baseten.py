"""Baseten: OpenAI-compatible chat."""

from ._base import OpenAIChat, Provider

PROVIDER = Provider("baseten", "https://inference.baseten.co", {"conversational": OpenAIChat()})
