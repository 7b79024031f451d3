"""The base of every output type: a frozen msgspec Struct with a little dict-like sugar."""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec

__all__ = ["BaseStruct"]

_MISSING: Any = object()


@cache
def _attribute_names(cls: type[msgspec.Struct]) -> dict[str, str]:
    """Map both wire names and attribute names of ``cls`` to attribute names."""
    names: dict[str, str] = {}
    for field in msgspec.structs.fields(cls):
        names[field.name] = field.name
        names[field.encode_name] = field.name
    return names


def _plain(value: Any) -> Any:
    if isinstance(value, BaseStruct):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class BaseStruct(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Immutable typed record decoded from a response; unknown wire fields are ignored."""

    # gc=False: decoded answers cannot hold a reference cycle (JSON has none and the fields
    # are frozen), so the collector need not track them. A streamed token then costs one
    # untracked allocation, and a long stream triggers no young-generation collections.
    # (Only a list or dict field into which code puts the struct itself would make a cycle,
    # and that cycle would never be collected.)

    # Dict-like access below would otherwise make Python fall back to the legacy
    # ``__getitem__(0), __getitem__(1), ...`` iteration protocol, which fails with a KeyError.
    __iter__ = None

    def __getitem__(self, key: str) -> Any:
        """Return a field by its wire name, as ``out["generated_text"]`` on a dict would."""
        name = _attribute_names(type(self)).get(key) if isinstance(key, str) else None
        if name is None:
            raise KeyError(key)
        return getattr(self, name)

    def get(self, key: str, default: Any = None) -> Any:
        """Return a field by its wire name, or ``default`` if it is unknown or None."""
        value = self[key] if key in _attribute_names(type(self)) else _MISSING
        return default if value is _MISSING or value is None else value

    def to_dict(self) -> dict[str, Any]:
        """Return every field, nested ones included, as plain Python data keyed by wire name."""
        return {
            field.encode_name: _plain(getattr(self, field.name))
            for field in msgspec.structs.fields(self)
        }
