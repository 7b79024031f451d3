"""Nscale: OpenAI-compatible chat and base64 image generation."""

from typing import Any

from ._base import Call, OpenAIChat, OpenAIImages, Provider, renamed


def _image(call: Call) -> dict[str, Any]:
    params = renamed(call.parameters, {})
    if "width" in params and "height" in params:
        params["size"] = f"{params.pop('width')}x{params.pop('height')}"
    # Diffusion knobs Nscale's OpenAI-style route does not take.
    params.pop("num_inference_steps", None)
    params.pop("cfg_scale", None)
    return {
        "response_format": "b64_json",
        "prompt": call.inputs,
        "model": call.provider_id,
        **params,
    }


PROVIDER = Provider(
    "nscale",
    "https://inference.api.nscale.com",
    {
        "conversational": OpenAIChat(),
        "text-to-image": OpenAIImages("text-to-image", "/v1/images/generations", _image),
    },
)
