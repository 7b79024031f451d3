"""Which provider route a request is, and the state behind the provider routes.

``ProviderHost`` belongs to one ``LocalInferenceServer``. Acting as the router (the default)
it serves the Hub mapping (``/api/models/{id}``), every routed provider at
``/{provider}/{the provider's own route}`` (``?_subdomain=queue`` selects a queue host) and
the media files (``/_media/<name>``); acting as one provider's own host
(``as_provider="fal-ai"``) it serves that host's routes at the root, and media.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._base import ApiError
from ._call import Handler
from ._fal import SHAPES as FAL
from ._hub import DEFAULT_MAPPINGS, ModelMapping, hub_answer, normalise_entries
from ._jobs import JobBook
from ._openai import SHAPES as OPENAI
from ._pollers import SHAPES as POLLERS
from ._replicate import SHAPES as REPLICATE
from ._table import HOSTS, Host, Row, host_for

__all__ = ["SHAPES", "Match", "ProviderHost"]

SHAPES: dict[str, Handler] = {**OPENAI, **FAL, **REPLICATE, **POLLERS}
_ROUTER_PROVIDERS = frozenset(host.provider for host in HOSTS if host.routed)
_UNAUTHORIZED = "Invalid credentials in Authorization header"
_POLICIES = frozenset({"fastest", "cheapest", "preferred"})


@dataclass(frozen=True)
class Match:
    """What a request path names: ``hub``, ``media``, ``provider`` or ``not-found``."""

    kind: str
    model: str | None = None  # hub: the Hub model id; provider: the provider's model id
    host: Host | None = None
    row: Row | None = None
    params: dict[str, str] = field(default_factory=dict)
    via_router: bool = False
    job: str | None = None
    message: str = "Not Found"
    status: int = 404


class ProviderHost:
    def __init__(
        self,
        *,
        as_provider: str | None = None,
        queue_host: str | None = None,
        media_host: str | None = None,
    ) -> None:
        if as_provider is not None and host_for(as_provider) is None:
            names = ", ".join(host.name for host in HOSTS)
            raise ValueError(f"as_provider={as_provider!r} is not a provider host; known: {names}")
        self.as_provider = as_provider
        self.media_host = media_host
        self.origins = {host.name: host.origin for host in HOSTS}
        if queue_host is not None:
            self.origins["fal-ai-queue"] = queue_host.rstrip("/")
        self.mappings: dict[str, ModelMapping] = {
            model: ModelMapping(normalise_entries(model, entries))
            for model, entries in DEFAULT_MAPPINGS.items()
        }
        self.hub_lookups: Counter[str] = Counter()
        self.book = JobBook()
        self.broken_media: set[str] = set()

    # -- configuration ---------------------------------------------------------------------

    def map_model(
        self, model: str, entries: Sequence[Mapping[str, Any]], *, legacy_dict: bool = False
    ) -> None:
        if legacy_dict and len({e.get("provider") for e in entries}) != len(entries):
            raise ValueError("the legacy dict form holds one entry per provider")
        self.mappings[model] = ModelMapping(normalise_entries(model, entries), legacy_dict)

    def mapped_task(self, provider: str, model: str) -> str | None:
        bare = model.split(":")[0]
        for mapping in self.mappings.values():
            for entry in mapping.entries:
                if entry["provider"] == provider and entry["providerId"].split(":")[0] == bare:
                    return str(entry["task"])
        return None

    def provider_id_for(self, provider: str, model: str) -> str | None:
        """The provider's own id for Hub model ``model``, when the mapping table has one."""
        mapping = self.mappings.get(model)
        for entry in mapping.entries if mapping else ():
            if entry["provider"] == provider:
                return str(entry["providerId"])
        return None

    def model_for_version(self, version: str) -> str | None:
        for mapping in self.mappings.values():
            for entry in mapping.entries:
                if entry["provider"] == "replicate" and entry["providerId"].endswith(":" + version):
                    return str(entry["providerId"])
        return None

    def auto_provider(self, model: str) -> str:
        """The provider the router's auto-routing picks for ``model[:provider|:policy]``.

        A provider suffix names it; otherwise the live conversational providers of the
        model's mapping in order: ``preferred`` (no suffix) and ``fastest`` take the first,
        ``cheapest`` the last (deterministic stand-ins for the router's measurements);
        ``hf-inference`` for a model the mapping table does not know.
        """
        name, _, suffix = model.partition(":")
        if suffix and suffix not in _POLICIES:
            return suffix
        mapping = self.mappings.get(name)
        live = [
            str(e["provider"])
            for e in (mapping.entries if mapping else ())
            if e["task"] == "conversational" and e["status"] == "live"
        ]
        if not live:
            return "hf-inference"
        return live[-1] if suffix == "cheapest" else live[0]

    def clear(self) -> None:
        self.hub_lookups.clear()
        self.book.plans.clear()
        self.book.cancelled.clear()
        self.broken_media.clear()

    # -- routing ---------------------------------------------------------------------------

    def match(self, method: str, path: str, query: Mapping[str, str]) -> Match | None:
        """The provider-side meaning of a request, or None for the classic routes."""
        if path.startswith("/_media/"):
            return Match("media", model=path[len("/_media/") :])
        if self.as_provider is not None:
            host = host_for(self.as_provider)
            assert host is not None
            return _match_rows(host, method, path, query, via_router=False)
        if path.startswith("/api/models/"):
            if method != "GET":
                return Match("not-found", message="Method Not Allowed", status=405)
            return Match("hub", model=path[len("/api/models/") :])
        provider, _, rest = path[1:].partition("/")
        if provider == "openai":
            return Match(
                "not-found", message="openai is not served by the router: call it directly"
            )
        if provider not in _ROUTER_PROVIDERS:
            return None
        subdomain = query.get("_subdomain")
        name = provider if subdomain is None else f"{provider}-{subdomain}"
        host = host_for(name)
        if host is None or host.provider != provider:
            return Match("not-found", message=f"{provider} has no `{subdomain}` host")
        return _match_rows(host, method, "/" + rest, query, via_router=True)

    def own_origin(self, match: Match, server_url: str) -> str:
        assert match.host is not None
        return self.origins[match.host.name] if match.via_router else server_url

    def media_origin(self, server_url: str) -> str:
        return (self.media_host or server_url).rstrip("/")

    # -- credentials -----------------------------------------------------------------------

    def check_credentials(self, match: Match, authorization: str, token: str | None) -> None:
        """Raise the host's 401 unless the request carries the credential that host takes.

        The router takes a Hugging Face token (``Bearer hf_...``); a provider's own host takes
        the provider's key in its own scheme (fal: ``Key ...``) and refuses Hugging Face tokens.
        With ``token`` set, only that exact token or key passes.
        """
        host = match.host
        assert host is not None
        scheme, _, key = authorization.partition(" ")
        if match.via_router:
            ok = scheme == "Bearer" and key.startswith("hf_")
            if ok and (token is None or key == token):
                return
            raise ApiError(
                401,
                {"error": _UNAUTHORIZED},
                headers={
                    "X-Error-Message": _UNAUTHORIZED,
                    "WWW-Authenticate": 'Bearer realm="Authentication required", charset="UTF-8"',
                },
            )
        ok = scheme == host.auth and bool(key) and not key.startswith("hf_")
        if ok and (token is None or key == token):
            return
        message = f"Invalid API key: {host.name} takes `Authorization: {host.auth} <its own key>`"
        if host.error_style == "detail":
            raise ApiError(401, {"detail": message})
        raise ApiError(401, {"error": {"message": message, "type": "invalid_request_error"}})

    def hub_response(
        self, model: str, expand: Sequence[str], authorization: str
    ) -> tuple[int, Any, dict[str, str]]:
        """The Hub's answer. A model it does not know is a 404 for a request with a token and
        a 401 without one (the Hub does not tell strangers which private repos exist); both
        carry ``X-Error-Code: RepoNotFound``."""
        mapping = self.mappings.get(model)
        if mapping is None:
            message = "Repository not found"
            headers = {"X-Error-Code": "RepoNotFound", "X-Error-Message": message}
            return (404 if authorization else 401), {"error": message}, headers
        answer = hub_answer(model, mapping)
        if "inferenceProviderMapping" not in expand:
            del answer["inferenceProviderMapping"]
        return 200, answer, {}


def _match_rows(
    host: Host, method: str, path: str, query: Mapping[str, str], *, via_router: bool
) -> Match:
    allowed = False
    for row in host.rows:
        found = row.regex.fullmatch(path)
        if found is None:
            continue
        if row.method != method:
            allowed = True
            continue
        params = {k: v for k, v in found.groupdict().items() if v is not None}
        job = params.get("job") or (query.get("task_id") if row.shape == "novita-result" else None)
        return Match(
            "provider",
            model=params.get("model"),
            host=host,
            row=row,
            params=params,
            via_router=via_router,
            job=job,
        )
    if allowed:
        return Match("not-found", host=host, message="Method Not Allowed", status=405)
    return Match("not-found", host=host, message=f"{host.name} has no route {path}")
