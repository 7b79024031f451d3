"""OVHcloud AI Endpoints: OpenAI-compatible chat."""

from ._base import OpenAIChat, Provider

PROVIDER = Provider(
    "ovhcloud", "https://oai.endpoints.kepler.ai.cloud.ovh.net", {"conversational": OpenAIChat()}
)
