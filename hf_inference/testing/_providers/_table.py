"""Every provider host the local server can play: one row per host, routes as data.

A ``Host`` is one origin of one provider (fal-ai has two: ``fal.run`` answers at once,
``queue.fal.run`` runs jobs). Its ``rows`` are the routes that origin serves, as the
provider's own API spells them; a row names the *shape* of the answer (a key of
``_shapes.SHAPES``) and, when the route fixes it, the task. Through the router the same
routes sit under ``/{provider}``; ``?_subdomain=queue`` selects the provider's queue host.

The routes are the ones huggingface_hub and huggingface.js call (facts from their provider
modules, August 2026).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["HOSTS", "PROVIDERS", "Host", "Row", "host_for", "served_tasks"]


@dataclass(frozen=True)
class Row:
    """One route: ``pattern`` segments ``{name}`` (one segment) or ``{name+}`` (one or more)."""

    method: str
    pattern: str
    shape: str
    task: str | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = re.split(r"(\{\w+\+?\})", self.pattern)
        source = "".join(_param(p) if p.startswith("{") else re.escape(p) for p in parts)
        object.__setattr__(self, "regex", re.compile(source))


def _param(token: str) -> str:
    name = token.strip("{}+")
    return f"(?P<{name}>.+?)" if token.endswith("+}") else f"(?P<{name}>[^/]+)"


@dataclass(frozen=True)
class Host:
    name: str  # "fal-ai", "fal-ai-queue"
    provider: str  # the provider name the router knows: "fal-ai"
    origin: str  # the real base URL
    rows: tuple[Row, ...]
    auth: str = "Bearer"  # the scheme of the provider's own key
    routed: bool = True  # reachable through the router
    error_style: str = "openai"  # "openai": {"error": {"message"}}, "detail": {"detail"}
    tasks: tuple[str, ...] = ()  # tasks served by routes whose row does not fix one

    @property
    def served(self) -> frozenset[str]:
        """Every task this host answers."""
        return frozenset(self.tasks) | {row.task for row in self.rows if row.task is not None}


def _openai(prefix: str, *shapes: str) -> tuple[Row, ...]:
    """The OpenAI-compatible routes under ``prefix``."""
    routes = {
        "chat": ("/chat/completions", "conversational"),
        "completions": ("/completions", "text-generation"),
        "embeddings": ("/embeddings", "feature-extraction"),
        "images": ("/images/generations", None),  # text-to-image or image-to-image
        "speech": ("/audio/speech", "text-to-speech"),
        "transcriptions": ("/audio/transcriptions", "automatic-speech-recognition"),
    }
    return tuple(Row("POST", prefix + routes[s][0], s, routes[s][1]) for s in shapes)


_CHAT = "chat"

HOSTS: tuple[Host, ...] = (
    Host("baseten", "baseten", "https://inference.baseten.co", _openai("/v1", _CHAT)),
    Host("cerebras", "cerebras", "https://api.cerebras.ai", _openai("/v1", _CHAT)),
    Host("cohere", "cohere", "https://api.cohere.com", _openai("/compatibility/v1", _CHAT)),
    Host(
        "deepinfra",
        "deepinfra",
        "https://api.deepinfra.com",
        _openai("/v1/openai", _CHAT, "completions", "embeddings", "speech", "transcriptions"),
    ),
    Host(
        "fal-ai",
        "fal-ai",
        "https://fal.run",
        (Row("POST", "/{model+}", "fal-run"),),
        auth="Key",
        error_style="detail",
        tasks=("automatic-speech-recognition", "text-to-image", "text-to-speech"),
    ),
    Host(
        "fal-ai-queue",
        "fal-ai",
        "https://queue.fal.run",
        (
            Row("GET", "/{app+}/requests/{job}/status", "fal-status"),
            Row("PUT", "/{app+}/requests/{job}/cancel", "fal-cancel"),
            Row("GET", "/{app+}/requests/{job}", "fal-result"),
            Row("POST", "/{model+}", "fal-submit"),
        ),
        auth="Key",
        error_style="detail",
        tasks=(
            "text-to-video",
            "image-to-video",
            "image-to-image",
            "image-segmentation",
            "text-to-image",
            # huggingface.js only:
            "audio-to-audio",
            "text-to-audio",
            "image-text-to-image",
            "image-text-to-video",
        ),
    ),
    Host(
        "featherless-ai",
        "featherless-ai",
        "https://api.featherless.ai",
        _openai("/v1", _CHAT, "completions"),
    ),
    Host(
        "fireworks-ai", "fireworks-ai", "https://api.fireworks.ai", _openai("/inference/v1", _CHAT)
    ),
    Host(
        "groq",
        "groq",
        "https://api.groq.com",
        _openai("/openai/v1", _CHAT),
        tasks=("text-generation",),  # huggingface.js: through the chat route
    ),
    Host(
        "novita",
        "novita",
        "https://api.novita.ai",
        (
            *_openai("/v3/openai", _CHAT, "completions"),
            Row("POST", "/v3/hf/{model+}", "novita-run", "text-to-video"),
            Row("GET", "/v3/async/task-result", "novita-result"),
            Row("POST", "/v3/async/{model+}", "novita-submit", "text-to-video"),
        ),
    ),
    Host(
        "nscale",
        "nscale",
        "https://inference.api.nscale.com",
        _openai("/v1", _CHAT, "images"),
        tasks=("text-to-image",),
    ),
    Host("openai", "openai", "https://api.openai.com", _openai("/v1", _CHAT), routed=False),
    Host(
        "ovhcloud",
        "ovhcloud",
        "https://oai.endpoints.kepler.ai.cloud.ovh.net",
        _openai("/v1", _CHAT),
    ),
    Host("publicai", "publicai", "https://api.publicai.co", _openai("/v1", _CHAT)),
    Host(
        "replicate",
        "replicate",
        "https://api.replicate.com",
        (
            Row("POST", "/v1/models/{model+}/predictions", "replicate-create"),
            Row("POST", "/v1/predictions/{job}/cancel", "replicate-cancel"),
            Row("POST", "/v1/predictions", "replicate-create"),
            Row("GET", "/v1/predictions/{job}", "replicate-get"),
        ),
        error_style="detail",
        tasks=(
            "automatic-speech-recognition",
            "image-to-image",
            "text-to-image",
            "text-to-speech",
            "text-to-video",
        ),
    ),
    Host("scaleway", "scaleway", "https://api.scaleway.ai", _openai("/v1", _CHAT, "embeddings")),
    Host(
        "together",
        "together",
        "https://api.together.xyz",
        (
            *_openai("/v1", _CHAT, "completions", "embeddings", "images", "speech"),
            Row("POST", "/v2/videos", "together-video-create"),
            Row("GET", "/v2/videos/{job}", "together-video-get"),
        ),
        tasks=("text-to-image", "image-to-image", "text-to-video", "image-to-video"),
    ),
    Host(
        "wavespeed",
        "wavespeed",
        "https://api.wavespeed.ai",
        (
            Row("GET", "/api/v3/predictions/{job}/result", "wavespeed-result"),
            Row("POST", "/api/v3/{model+}", "wavespeed-submit"),
        ),
        tasks=("text-to-image", "text-to-video", "image-to-image", "image-to-video"),
    ),
    Host(
        "zai-org",
        "zai-org",
        "https://api.z.ai",
        (
            *_openai("/api/paas/v4", _CHAT),
            Row("POST", "/api/paas/v4/async/images/generations", "zai-submit", "text-to-image"),
            Row("GET", "/api/paas/v4/async-result/{job}", "zai-result"),
        ),
    ),
)

_BY_NAME = {host.name: host for host in HOSTS}

#: Provider names, hf-inference included (the server's classic routes serve it).
PROVIDERS: tuple[str, ...] = tuple(sorted({host.provider for host in HOSTS} | {"hf-inference"}))


def host_for(name: str) -> Host | None:
    """The host called ``name`` (``"fal-ai"``, ``"fal-ai-queue"``, ...), or None."""
    return _BY_NAME.get(name)


def served_tasks(provider: str) -> frozenset[str]:
    """Every task the local server answers for ``provider``, over all its hosts."""
    return frozenset().union(*(host.served for host in HOSTS if host.provider == provider))
