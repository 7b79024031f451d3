"""Scaleway: OpenAI-compatible chat and embeddings."""

from ._base import OpenAIChat, OpenAIEmbeddings, Provider

PROVIDER = Provider(
    "scaleway",
    "https://api.scaleway.ai",
    {"conversational": OpenAIChat(), "feature-extraction": OpenAIEmbeddings()},
)
