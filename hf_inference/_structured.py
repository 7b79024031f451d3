"""Structured outputs: ``response_format=YourType`` sends its JSON schema, the answer decodes
into ``YourType``.

``YourType`` is anything msgspec turns into a JSON schema and decodes into: a
``msgspec.Struct``, a dataclass, a TypedDict (or a NamedTuple, attrs class...). A mapping
``response_format`` is sent as given and nothing is parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from . import types as t
from ._exceptions import DecodeError, InvalidInputError

__all__ = ["is_output_type", "parse_completion", "schema_format"]

S = TypeVar("S")


def is_output_type(response_format: Any) -> bool:
    """True for a type to decode into, False for a wire ``response_format`` mapping."""
    if response_format is None or isinstance(response_format, Mapping):
        return False
    if isinstance(response_format, type):
        return True
    raise InvalidInputError(
        "response_format must be a mapping ({'type': 'json_schema', ...}) or a type to decode "
        f"the answer into (a msgspec.Struct, dataclass or TypedDict), got {response_format!r}"
    )


def schema_format(output_type: type[Any]) -> dict[str, Any]:
    """The ``response_format`` that asks for JSON fitting ``output_type`` (strict json_schema)."""
    try:
        schema = msgspec.json.schema(output_type)
    except TypeError as exc:
        raise InvalidInputError(
            f"response_format={output_type.__name__} has no JSON schema: {exc} (use a "
            "msgspec.Struct, dataclass or TypedDict of JSON-compatible fields)"
        ) from None
    # msgspec names the top type by a $ref into $defs; providers expect the object itself.
    ref = schema.get("$ref")
    defs = schema.get("$defs", {})
    if isinstance(ref, str) and ref.startswith("#/$defs/") and len(schema) == 2:
        schema = {**defs[ref.removeprefix("#/$defs/")]}
        if len(defs) > 1:
            schema["$defs"] = defs
    return {
        "type": "json_schema",
        "json_schema": {"name": output_type.__name__, "schema": schema, "strict": True},
    }


def parse_completion(
    reply: t.ChatCompletionOutput, output_type: type[S]
) -> t.ParsedChatCompletion[S]:
    """``reply`` with its first choice's content decoded into ``output_type``.

    A reply without text, or whose text does not fit, is a :class:`DecodeError` whose ``body``
    is the text as the model wrote it.
    """
    content = reply.choices[0].message.content if reply.choices else None
    if content is None:
        raise DecodeError(
            f"the reply has no content to decode into {output_type.__name__}",
            model=reply.model or None,
            body=b"",
        )
    try:
        parsed = msgspec.json.decode(content, type=output_type)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise DecodeError(
            f"the reply does not fit {output_type.__name__}: {exc}",
            model=reply.model or None,
            body=content.encode(),
        ) from None
    fields = {name: getattr(reply, name) for name in reply.__struct_fields__}
    return t.ParsedChatCompletion(**fields, parsed=parsed)
