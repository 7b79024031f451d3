"""Command-line options for a task's parameters, derived from its ``TypedDict``.

The task table names each task's parameters type (``TaskSpec.parameters``); the command line
reads that type's annotations when it builds the parser, so a parameter added to the table is
an option without anything written here. What an annotation becomes:

- ``int``, ``float``, ``str``: ``--top-k 5``, ``--temperature 0.7``, ``--src-lang en``
- ``bool``: ``--details`` sends true, ``--no-details`` sends false
- ``Literal["a", "b"]``: ``--truncation a`` (other values are refused)
- ``Sequence[str]``: repeat the option, one item each (``--stop "###" --stop "END"``); never
  split on commas, as a negative prompt or a stop sequence may hold one
- anything else (mappings, nested ``TypedDict``\\ s, lists of lists): JSON or ``@FILE``,
  checked against the annotation

An option that is not given sends nothing (the server's default applies). A parameter whose
option would take the name of an existing one (``--timeout``, ``--json``, ...) gets no option:
the parser's help lists it as reachable through ``-P KEY=VALUE`` only.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec

__all__ = ["DEST_PREFIX", "GROUP_TITLE", "PARAMETER_ONLY", "add_parameter_options", "given"]

#: Namespace attributes of parameter options start with this: they cannot clash with the dest
#: of another option (``model``, ``timeout``, ``output``, ...).
DEST_PREFIX = "parameter:"
GROUP_TITLE = "task parameters"
#: How the help names parameters that have no option of their own.
PARAMETER_ONLY = "only as -P KEY=VALUE (their option name is taken):"


def option_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def given(args: argparse.Namespace) -> dict[str, tuple[str, Any]]:
    """The parameter options present on the command line: wire name -> (option, value)."""
    found: dict[str, tuple[str, Any]] = {}
    for dest, value in vars(args).items():
        if dest.startswith(DEST_PREFIX) and value is not None:
            name = dest.removeprefix(DEST_PREFIX)
            found[name] = (option_name(name), list(value) if isinstance(value, list) else value)
    return found


def add_parameter_options(
    parser: argparse.ArgumentParser,
    parameters: Any,
    exclude: Collection[str] = (),
) -> dict[str, str | None]:
    """One option per key of the ``parameters`` TypedDict, in a "task parameters" group.

    Returns wire name -> option string, or None for a key left to ``-P`` because its option
    name is already taken on ``parser``. Keys in ``exclude`` are skipped.
    """
    group = parser.add_argument_group(
        GROUP_TITLE,
        "each sent under the name its help starts with; an option not given is not sent",
    )
    options: dict[str, str | None] = {}
    hints = typing.get_type_hints(parameters) if parameters is not None else {}
    for name in sorted(hints):
        if name in exclude:
            continue
        option = option_name(name)
        try:
            _add_option(group, option, DEST_PREFIX + name, name, hints[name])
        except argparse.ArgumentError:  # "conflicting option string": the name is taken
            options[name] = None
        else:
            options[name] = option
    taken = sorted(name for name, option in options.items() if option is None)
    if taken:
        group.description = f"{group.description}; {PARAMETER_ONLY} {', '.join(taken)}"
    return options


def _add_option(group: Any, option: str, dest: str, name: str, hint: Any) -> None:
    if hint is bool:
        group.add_argument(
            option,
            dest=dest,
            action=argparse.BooleanOptionalAction,
            default=None,
            help=f"{name}: a boolean",
        )
    elif hint is int or hint is float:
        kind = "an integer" if hint is int else "a number"
        group.add_argument(
            option, dest=dest, type=hint, metavar=hint.__name__.upper(), help=f"{name}: {kind}"
        )
    elif hint is str:
        group.add_argument(option, dest=dest, metavar="TEXT", help=f"{name}: a string")
    elif _string_choices(hint) is not None:
        group.add_argument(option, dest=dest, choices=_string_choices(hint), help=name)
    elif _is_string_list(hint):
        group.add_argument(
            option,
            dest=dest,
            action="append",
            metavar="TEXT",
            help=f"{name}: a list of strings; repeat the option for each one",
        )
    else:
        group.add_argument(
            option,
            dest=dest,
            type=JsonValue(name, hint),
            metavar="JSON",
            help=_json_help(name, hint),
        )


def _string_choices(hint: Any) -> list[str] | None:
    if typing.get_origin(hint) is Literal and all(
        isinstance(a, str) for a in typing.get_args(hint)
    ):
        return list(typing.get_args(hint))
    return None


def _members(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _is_string_list(hint: Any) -> bool:
    """``Sequence[str]``, or ``str | Sequence[str]`` (sent as a list either way)."""
    lists = [m for m in _members(hint) if m is not str]
    return len(lists) == 1 and _sequence_of(lists[0]) is str


def _sequence_of(hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Sequence, list, tuple) and len(typing.get_args(hint)) == 1:
        return typing.get_args(hint)[0]
    return None


def _is_object(hint: Any) -> bool:
    return typing.is_typeddict(hint) or typing.get_origin(hint) in (Mapping, dict)


def _json_help(name: str, hint: Any) -> str:
    members = _members(hint)
    if all(_is_object(m) for m in members):
        what = "a JSON object"
        keys = [k for m in members if typing.is_typeddict(m) for k in typing.get_type_hints(m)]
        if keys:
            what += f" ({', '.join(keys)})"
    elif all(_sequence_of(m) is not None for m in members):
        what = "a JSON array"
    else:
        what = "JSON"
    if str in members:
        what += ", or a plain string"
    return f"{name}: {what}; or @FILE"


class JsonValue:
    """The argparse ``type`` of a JSON option: decodes it and checks it fits the annotation."""

    def __init__(self, name: str, hint: Any) -> None:
        self.name = name
        self.hint = hint
        self.__name__ = "JSON"  # argparse names the type in some of its messages

    def __call__(self, text: str) -> Any:
        if text.startswith("@"):
            try:
                text = Path(text[1:]).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise argparse.ArgumentTypeError(f"cannot read {text[1:]!r}: {exc}") from None
        try:
            value = msgspec.json.decode(text)
        except msgspec.DecodeError as exc:
            if str in _members(self.hint):
                return text
            raise argparse.ArgumentTypeError(
                f"{self.name} must be JSON ({_json_help(self.name, self.hint)}): {exc}"
            ) from None
        problem = _misfit(value, self.hint)
        if problem is not None:
            raise argparse.ArgumentTypeError(
                f"{self.name} does not fit {_show(self.hint)}: {problem}"
            )
        return value


def _misfit(value: Any, hint: Any) -> str | None:
    """Why ``value`` does not fit ``hint`` (None when it does), tried per union member where
    msgspec cannot take the union as a whole (a TypedDict beside a Mapping)."""
    candidates = [hint]
    try:
        msgspec.json.Decoder(hint)
    except TypeError:
        candidates = list(_members(hint))
    problem = None
    for candidate in candidates:
        try:
            msgspec.convert(value, candidate)
        except msgspec.ValidationError as exc:
            problem = problem or str(exc)
        except TypeError:  # a type msgspec cannot check: take the value as given
            return None
        else:
            return None
    return problem


def _show(hint: Any) -> str:
    text = str(hint) if typing.get_origin(hint) else getattr(hint, "__name__", str(hint))
    return (
        text.replace("collections.abc.", "")
        .replace("typing.", "")
        .replace("hf_inference.types.parameters.", "")
    )
