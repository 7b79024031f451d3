"""Dedicated endpoints' own routes (TGI ``GET /info``, ``GET /health``), as client methods."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from ._config import Timeout, is_url, validate_url
from ._exceptions import (
    APIConnectionError,
    DecodeError,
    HTTPStatusError,
    InferenceTimeoutError,
    InvalidInputError,
)
from ._params import CallOptions
from ._transport import Body, Response

if TYPE_CHECKING:
    from typing_extensions import Unpack

_any_decoder = msgspec.json.Decoder()


class _Client(Protocol):
    model: str | None
    _endpoint: str | None
    max_response_size: int
    timeout: Timeout

    def _headers(
        self,
        url: str,
        options: CallOptions,
        content_type: str | None,
        accept: str | None,
    ) -> dict[str, str]: ...

    async def _send(
        self,
        url: str,
        headers: Mapping[str, str],
        body: Body,
        options: CallOptions,
        model: str | None,
        method: str = "POST",
        *,
        redirects: bool = False,
        stream: bool = False,
    ) -> Response: ...


class EndpointMethods:
    """``get_endpoint_info`` and ``health_check`` of AsyncInferenceClient."""

    def _endpoint_root(self: _Client, model: str | None, what: str) -> str:
        target = model if model is not None else self.model
        if target is not None and is_url(target):
            return validate_url(target)
        if target is None and self._endpoint is not None:
            return self._endpoint
        raise InvalidInputError(
            f"{what} asks a dedicated endpoint (TGI): pass model=<endpoint URL> or use "
            "client.endpoint(url); Hub models on the serverless API have no such route"
        )

    async def get_endpoint_info(
        self: _Client, *, model: str | None = None, **options: Unpack[CallOptions]
    ) -> dict[str, Any]:
        """A dedicated endpoint's ``GET /info`` (TGI: model id, dtype, max tokens, version...)."""
        url = EndpointMethods._endpoint_root(self, model, "get_endpoint_info") + "/info"
        headers = self._headers(url, options, None, "application/json")
        response = await self._send(url, headers, None, options, model, method="GET")
        body = await response.read(self.max_response_size)
        try:
            info = _any_decoder.decode(body)
        except msgspec.DecodeError:
            info = None
        if not isinstance(info, dict):
            raise DecodeError(
                "the endpoint's /info answer is not a JSON object",
                status=response.status,
                model=model,
                request_id=response.request_id,
                body=body,
            )
        return info

    async def health_check(
        self: _Client, *, model: str | None = None, **options: Unpack[CallOptions]
    ) -> bool:
        """True when a dedicated endpoint's ``GET /health`` answers 200; False on any error."""
        url = EndpointMethods._endpoint_root(self, model, "health_check") + "/health"
        headers = self._headers(url, options, None, None)
        call: CallOptions = {"max_retries": 0, "wait_for_model": False, **options}
        try:
            response = await self._send(url, headers, None, call, model, method="GET")
        except (HTTPStatusError, APIConnectionError, InferenceTimeoutError):
            return False
        await response.read_error_body()
        return response.status == 200
