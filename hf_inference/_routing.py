"""Where a client's calls go: its router, Hub, provider policy and the Hub mapping cache.

The client holds one :class:`Routing` (shared with its ``endpoint()`` children) and asks it
for the plan of each call; the plan itself is made by ``providers.plan`` / ``providers.resolve``
(pure), the mapping comes from the Hub through :class:`~._mapping.MappingCache`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from . import _tasks as tasks
from . import providers
from ._config import env_hub_url, resolve_urls, validate_url
from ._exceptions import NotFoundError
from ._mapping import DEFAULT_TTL, MappingCache, hub_model_url
from ._transport import Response, default_headers

#: The provider policy of a client built without ``provider=``.
DEFAULT_PROVIDER = providers.AUTO

#: GET a URL with these headers on the client's session (retries, typed errors).
Get = Callable[[str, Mapping[str, str], str], Awaitable[Response]]

Plan = providers.Direct | providers.NeedsMapping | providers.Routed


class Routing:
    """A client's destinations and provider policy; see ``AsyncInferenceClient`` for the args."""

    def __init__(
        self,
        *,
        base_url: str | None,
        router_url: str | None,
        hub_url: str | None,
        provider: str | None,
        provider_urls: Mapping[str, str] | None,
        mapping_ttl: float = DEFAULT_TTL,
        token: str | None,
        get: Get,
        max_response_size: int,
    ) -> None:
        self.base_url, self.router_url, chosen = resolve_urls(base_url, router_url)
        self.explicit_base = self.base_url if chosen else None
        self.hub_url = validate_url(hub_url) if hub_url else env_hub_url()
        if provider not in (None, providers.AUTO):
            providers.provider_row(provider)
        self.provider = provider or DEFAULT_PROVIDER
        # None when the client names no provider: a chosen base URL then takes every call.
        self.named_provider = provider
        self.provider_urls = {name: validate_url(u) for name, u in (provider_urls or {}).items()}
        for name in self.provider_urls:
            providers.provider_row(name)
        self._token = token
        self._get = get
        self._max_size = max_response_size
        self.mappings = MappingCache(self._fetch_mapping, ttl=mapping_ttl)

    def plan(
        self,
        spec: tasks.TaskSpec[Any],
        model: str | None,
        options: Mapping[str, Any],
        endpoint: str | None,
    ) -> Plan:
        """Where one call goes, as far as it is known without the Hub (``providers.plan``)."""
        return providers.plan(
            providers.hub_task(spec.name),
            model,
            options.get("provider") or self.named_provider,
            endpoint=endpoint,
            base_url=self.explicit_base,
            router_url=self.router_url,
            credential=options.get("token") or self._token,
            pipeline=spec.route is tasks.Route.PIPELINE,
            provider_urls=self.provider_urls,
        )

    async def where(
        self,
        spec: tasks.TaskSpec[Any],
        model: str | None,
        options: Mapping[str, Any],
        endpoint: str | None,
    ) -> providers.Direct | providers.Routed:
        """The plan of one call, asking the Hub for the model's providers when needed."""
        plan = self.plan(spec, model, options, endpoint)
        if not isinstance(plan, providers.NeedsMapping):
            return plan
        entries = self.mappings.cached(plan.model) or await self.mappings.get(plan.model)
        return providers.resolve(
            plan,
            entries,
            router_url=self.router_url,
            credential=options.get("token") or self._token,
            pipeline=spec.route is tasks.Route.PIPELINE,
            provider_urls=self.provider_urls,
        )

    async def _fetch_mapping(self, model: str) -> bytes:
        """The Hub's model info with its provider mapping (an HF token only, never a key)."""
        headers = default_headers()
        if self._token and self._token.startswith("hf_"):
            headers["authorization"] = "Bearer " + self._token
        try:
            response = await self._get(hub_model_url(self.hub_url, model), headers, model)
        except NotFoundError as exc:
            raise NotFoundError(
                f"model {model} not found on the Hub ({self.hub_url}): {exc.message}",
                status=exc.status,
                model=model,
                request_id=exc.request_id,
            ) from None
        return await response.read(self._max_size)
