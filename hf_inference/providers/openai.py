"""OpenAI: chat with the user's own OpenAI key only (not routed, model ids are OpenAI's)."""

from ._base import OpenAIChat, Provider

PROVIDER = Provider(
    "openai",
    "https://api.openai.com",
    {"conversational": OpenAIChat()},
    routed=False,
    mapped=False,
)
