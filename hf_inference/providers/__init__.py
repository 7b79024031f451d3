"""Where a call goes: the provider registry, the ``auto`` policy and the call plan.

The registry is one row per provider module (adding a provider is one module and one line
below). :func:`plan` turns (task, model, provider, client settings) into where the call goes;
when that needs the Hub's model -> provider mapping it says so (:class:`NeedsMapping`) and
:func:`resolve` finishes the plan once the client has the mapping. Nothing here does I/O.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .._config import is_url, validate_model_id, validate_url
from .._exceptions import (
    InvalidInputError,
    NoProviderError,
    ProviderTaskError,
    UnknownProviderError,
)

if TYPE_CHECKING:
    from ._base import Call, MappingEntry, Provider, Shape

    #: Every provider, by name (loaded on first use); the docs table and the CLI's
    #: ``--provider`` choices come from here.
    PROVIDERS: Mapping[str, Provider]

__all__ = [
    "AUTO",
    "PROVIDERS",
    "Call",
    "Direct",
    "MappingEntry",
    "NeedsMapping",
    "Provider",
    "Routed",
    "Shape",
    "hub_task",
    "plan",
    "resolve",
]

logger = logging.getLogger("hf_inference")

AUTO = "auto"
HF_INFERENCE = "hf-inference"

#: The registry: one module per provider, each defining ``PROVIDER``. Loaded on first use, so
#: a client that only ever calls hf-inference or an endpoint never imports them.
MODULES = (
    "baseten",
    "cerebras",
    "cohere",
    "deepinfra",
    "fal_ai",
    "featherless_ai",
    "fireworks_ai",
    "groq",
    "hf_inference",
    "novita",
    "nscale",
    "openai",
    "ovhcloud",
    "publicai",
    "replicate",
    "scaleway",
    "together",
    "wavespeed",
    "zai_org",
)

_registry: dict[str, Provider] = {}


def registry() -> Mapping[str, Provider]:
    """Every provider by name, its modules imported on the first call."""
    if not _registry:
        for name in MODULES:
            row: Provider = importlib.import_module(f"{__name__}.{name}").PROVIDER
            _registry[row.name] = row
    return _registry


def __getattr__(name: str) -> Any:
    if name == "PROVIDERS":
        return registry()
    if name in ("Call", "MappingEntry", "Provider", "Shape"):
        from . import _base

        return getattr(_base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Our task names that the Hub names differently.
_HUB_TASKS = {"chat-completion": "conversational"}


def hub_task(name: str) -> str:
    """The Hub's name of one of our tasks (chat completion is ``conversational`` there)."""
    return _HUB_TASKS.get(name, name)


class Direct(NamedTuple):
    """Send as the client always has: to ``url``, with ``model`` for the body and errors.

    ``router_chat``: provider-routed chat on the router's own route (model id in the body).
    """

    url: str
    model: str | None
    router_chat: bool = False


class NeedsMapping(NamedTuple):
    """The call needs the Hub's mapping of ``model`` before it can be planned."""

    task: str
    model: str
    provider: str  # a provider name, or "auto"


class Routed(NamedTuple):
    """Send through a provider's shape, at ``base`` (router/provider or the direct URL)."""

    provider: Provider
    shape: Shape
    model: str
    provider_id: str
    base: str
    routed: bool
    adapter_weights_path: str | None = None


def markdown_table() -> str:
    """The provider table of docs/providers.md (a test holds the page to it)."""
    lines = [
        "| provider | tasks | direct base URL | own key sent as |",
        "|---|---|---|---|",
    ]
    for name in sorted(registry()):
        row = registry()[name]
        tasks = ", ".join(sorted(row.tasks))
        key = f"`{row.key_scheme} <key>`" + ("" if row.routed else " (direct only)")
        lines.append(f"| {name} | {tasks} | {row.base_url} | {key} |")
    return "\n".join(lines)


def provider_row(name: str) -> Provider:
    row = registry().get(name)
    if row is None:
        known = ", ".join(sorted(registry()))
        raise UnknownProviderError(
            f"unknown provider {name!r}: use 'auto' or one of {known}",
            provider=name,
            providers=tuple(sorted(registry())),
        )
    return row


def providers_for(task: str) -> tuple[str, ...]:
    return tuple(name for name, row in registry().items() if task in row.tasks)


def shape_of(row: Provider, task: str, model: str | None) -> Shape:
    shape = row.tasks.get(task)
    if shape is None:
        offering = providers_for(task)
        raise ProviderTaskError(
            f"provider {row.name!r} does not offer {task}; providers that do: "
            f"{', '.join(offering) or 'none'}",
            model=model,
            task=task,
            provider=row.name,
            providers=offering,
        )
    return shape


def _endpoint_route(url: str, chat: bool) -> str:
    if chat and not url.endswith("/chat/completions"):
        return f"{url}/v1/chat/completions"
    return url


def serverless_url(base_url: str, task: str, model: str, pipeline: bool) -> str:
    if task == "conversational":
        return f"{base_url}/models/{model}/v1/chat/completions"
    if pipeline:
        return f"{base_url}/models/{model}/pipeline/{task}"
    return f"{base_url}/models/{model}"


def plan(
    task: str,
    model: str | None,
    provider: str | None,
    *,
    endpoint: str | None,
    base_url: str | None,
    router_url: str,
    credential: str | None,
    pipeline: bool = False,
    provider_urls: Mapping[str, str] | None = None,
) -> Direct | NeedsMapping | Routed:
    """Where one call goes, or what is missing to say so.

    ``task``: the Hub task name. ``base_url``: the user's chosen serverless base (argument
    or ``HF_INFERENCE_BASE_URL``; None when not chosen): with it, as with a URL model or a
    dedicated endpoint, the Hub is never consulted for a call that names no provider.
    ``credential``: the token this call would send (an ``hf_`` token goes through the
    router, any other key straight to the provider).
    """
    chat = task == "conversational"
    if model is None:
        if endpoint is None:
            raise InvalidInputError(
                f"no model given for {task}: pass model=... or set it on the client"
            )
        return Direct(_endpoint_route(endpoint, chat), None)
    if is_url(model):
        return Direct(_endpoint_route(validate_url(model), chat), model)
    validate_model_id(model)
    if endpoint is not None:
        return Direct(_endpoint_route(endpoint, chat), model)
    if base_url is not None:
        # The classic client: a call that names no provider goes to the chosen serverless
        # base; chat naming a provider (or ``model:provider``) goes to the router's chat route.
        # Any other call that names a provider (``auto`` included) is routed as below.
        if chat and (provider not in (None, AUTO, HF_INFERENCE) or ":" in model):
            return Direct(f"{router_url}/v1/chat/completions", model, router_chat=True)
        if provider in (None, HF_INFERENCE):
            return Direct(serverless_url(base_url, task, model, pipeline), model)
    provider = provider or AUTO
    if provider == HF_INFERENCE:
        return Direct(serverless_url(f"{router_url}/hf-inference", task, model, pipeline), model)
    if chat and (provider == AUTO or ":" in model):
        # The router picks the provider itself (``model``, ``model:provider``, ``:fastest``).
        if credential is not None and not credential.startswith("hf_"):
            raise InvalidInputError(
                "the router's chat auto-routing takes a Hugging Face token, and this call has "
                "a provider key: pass provider=<the key's provider> to call it directly",
                model=model,
            )
        return Direct(f"{router_url}/v1/chat/completions", model, router_chat=True)
    if provider != AUTO:
        row = provider_row(provider)
        shape_of(row, task, model)
        if not row.mapped:
            return _routed(row, task, model, model, None, router_url, credential, provider_urls)
    return NeedsMapping(task, model, provider)


def resolve(
    need: NeedsMapping,
    entries: Sequence[MappingEntry],
    *,
    router_url: str,
    credential: str | None,
    pipeline: bool = False,
    provider_urls: Mapping[str, str] | None = None,
) -> Direct | Routed:
    """Finish a plan with the Hub's mapping (in the user's preference order)."""
    entry = choose(need, entries)
    if entry.provider == HF_INFERENCE:
        url = serverless_url(f"{router_url}/hf-inference", need.task, entry.provider_id, pipeline)
        return Direct(url, entry.provider_id)
    row = registry()[entry.provider]
    return _routed(
        row,
        need.task,
        need.model,
        entry.provider_id,
        entry.adapter_weights_path,
        router_url,
        credential,
        provider_urls,
    )


def _served(entries: Sequence[MappingEntry]) -> str:
    return ", ".join(f"{e.provider} ({e.task}, {e.status})" for e in entries) or "none"


#: hf-inference serves sentence-transformers models for both of these tasks, whichever the
#: Hub's mapping names.
_SAME_MODEL_TASKS = frozenset({"feature-extraction", "sentence-similarity"})


def _task_matches(entry: MappingEntry, task: str) -> bool:
    if entry.task == task:
        return True
    return entry.provider == HF_INFERENCE and {entry.task, task} <= _SAME_MODEL_TASKS


def _offers(entry: MappingEntry, task: str) -> bool:
    row = registry().get(entry.provider)
    return row is not None and task in row.tasks and _task_matches(entry, task)


def choose(need: NeedsMapping, entries: Sequence[MappingEntry]) -> MappingEntry:
    """The mapping entry a call uses: the named provider's, or auto's first live one."""
    task, model = need.task, need.model
    if need.provider == AUTO:
        for entry in entries:
            if entry.status == "live" and _offers(entry, task):
                return entry
        able = tuple(e.provider for e in entries if _offers(e, task))
        raise NoProviderError(
            f"no live provider serves {model} for {task}; the Hub maps it to: {_served(entries)}",
            model=model,
            task=task,
            providers=able,
        )
    for entry in entries:
        if entry.provider == need.provider:
            if not _task_matches(entry, task):
                raise ProviderTaskError(
                    f"{need.provider} serves {model} for {entry.task}, not {task}; "
                    f"the Hub maps it to: {_served(entries)}",
                    model=model,
                    task=task,
                    provider=need.provider,
                    providers=tuple(e.provider for e in entries if _offers(e, task)),
                )
            if entry.status != "live":
                logger.warning("%s serves %s in %s mode only", entry.provider, model, entry.status)
            return entry
    raise ProviderTaskError(
        f"{need.provider} does not serve {model}; the Hub maps it to: {_served(entries)}",
        model=model,
        task=task,
        provider=need.provider,
        providers=tuple(e.provider for e in entries if _offers(e, task)),
    )


def _routed(
    row: Provider,
    task: str,
    model: str,
    provider_id: str,
    adapter_weights_path: str | None,
    router_url: str,
    credential: str | None,
    provider_urls: Mapping[str, str] | None,
) -> Routed:
    from .hf_inference import Serverless

    shape = shape_of(row, task, model)
    if isinstance(shape, Serverless):  # only reachable through resolve(), handled there
        raise AssertionError("hf-inference is planned as a Direct call")
    through_router = credential is None or credential.startswith("hf_")
    if through_router and not row.routed:
        raise InvalidInputError(
            f"{row.name} is not reachable through the Hugging Face router: pass your "
            f"{row.name} API key as token=...",
            model=model,
        )
    if through_router:
        base = f"{router_url}/{row.name}"
    else:
        override = (provider_urls or {}).get(row.name)
        base = override or shape.direct_url or row.base_url
    return Routed(row, shape, model, provider_id, base, through_router, adapter_weights_path)
