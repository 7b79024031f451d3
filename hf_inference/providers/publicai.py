"""PublicAI: OpenAI-compatible chat."""

from ._base import OpenAIChat, Provider

PROVIDER = Provider("publicai", "https://api.publicai.co", {"conversational": OpenAIChat()})
