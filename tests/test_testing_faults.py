"""Scripted steps check their arguments where they are written.

A wrong argument used to surface later, inside the server, as a 500 "unknown error" in the
middle of the test that scripted it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hf_inference import testing
from hf_inference.testing import (
    BrokenChunked,
    Drop,
    ErrorEvent,
    Fault,
    Loading,
    LocalInferenceServer,
    Reply,
    ResponseFailure,
    Stall,
)

#: (step class, keyword arguments, exception, the words the message must contain)
BAD: list[tuple[type[Any], dict[str, Any], type[Exception], list[str]]] = [
    (ResponseFailure, {"after_deltas": -1}, ValueError, ["ResponseFailure(after_deltas=...)"]),
    (ResponseFailure, {"event": "failed"}, ValueError, ["ResponseFailure(event=...)", "'error'"]),
    (ResponseFailure, {"code": 500}, TypeError, ["ResponseFailure(code=...)", "a str"]),
    (Drop, {"after_chunks": (1,)}, TypeError, ["Drop(after_chunks=...)", "bytes", "item 1"]),
    (Drop, {"after_chunks": b"data: 1\n\n"}, TypeError, ["Drop(after_chunks=...)", "list of"]),
    (Drop, {"send_headers": "no"}, TypeError, ["Drop(send_headers=...)", "True or False"]),
    (Stall, {"after_chunks": ["data: 1\n\n"]}, TypeError, ["Stall(after_chunks=...)", "str"]),
    (Stall, {"after_chunks": 3}, TypeError, ["Stall(after_chunks=...)", "got 3"]),
    (Stall, {"send_headers": 0}, TypeError, ["Stall(send_headers=...)", "True or False"]),
    (BrokenChunked, {"after_chunks": "x"}, TypeError, ["BrokenChunked(after_chunks=...)"]),
    (BrokenChunked, {"delay": -1}, ValueError, ["BrokenChunked(delay=...)", ">= 0", "-1"]),
    (BrokenChunked, {"delay": "1s"}, TypeError, ["BrokenChunked(delay=...)", "seconds"]),
    (Loading, {"estimated_time": "20"}, TypeError, ["Loading(estimated_time=...)", "seconds"]),
    (Loading, {"estimated_time": float("inf")}, ValueError, ["Loading(estimated_time=...)"]),
    (Loading, {"times": 0}, ValueError, ["Loading(times=...)", "int >= 1", "got 0"]),
    (Loading, {"times": 1.5}, TypeError, ["Loading(times=...)", "int >= 1"]),
    (ErrorEvent, {"after_tokens": -1}, ValueError, ["ErrorEvent(after_tokens=...)", ">= 0"]),
    (ErrorEvent, {"after_tokens": "2"}, TypeError, ["ErrorEvent(after_tokens=...)", "int"]),
    (ErrorEvent, {"message": None}, TypeError, ["ErrorEvent(message=...)", "str"]),
    (ErrorEvent, {"error_type": 5}, TypeError, ["ErrorEvent(error_type=...)", "str"]),
    (Reply, {"status": "200"}, TypeError, ["Reply(status=...)", "HTTP status"]),
    (Reply, {"status": 1000}, ValueError, ["Reply(status=...)", "100-599", "1000"]),
    (Reply, {"headers": {"x-n": 1}}, TypeError, ["Reply(headers=...)", "str to str"]),
    (Reply, {"content_type": b"text/plain"}, TypeError, ["Reply(content_type=...)"]),
    (Reply, {"chunks": [b"a", "b"]}, TypeError, ["Reply(chunks=...)", "'b' is str"]),
    (Reply, {"delay": -0.5}, ValueError, ["Reply(delay=...)", ">= 0"]),
    (Reply, {"chunk_delay": None}, TypeError, ["Reply(chunk_delay=...)", "seconds"]),
]


@pytest.mark.parametrize(
    ("kind", "kwargs", "error", "words"),
    [pytest.param(*case, id=f"{case[0].__name__}-{next(iter(case[1]))}") for case in BAD],
)
def test_a_bad_argument_fails_at_construction_naming_it(
    kind: type[Any], kwargs: dict[str, Any], error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as caught:
        kind(**kwargs)
    for word in words:
        assert word in str(caught.value)


def test_every_step_kind_has_its_arguments_checked() -> None:
    kinds = {
        obj
        for name in testing.__all__
        if isinstance(obj := getattr(testing, name), type)
        and (issubclass(obj, Fault) or obj is Reply)
        and obj is not Fault
    }
    assert kinds == {kind for kind, *_ in BAD}


GOOD: list[Callable[[], object]] = [
    lambda: Drop(after_chunks=[b"data: 1\n\n", bytearray(b"data: 2\n\n"), memoryview(b"x")]),
    lambda: Drop(after_chunks=(b"x",), send_headers=False),
    lambda: Stall(),
    lambda: BrokenChunked(after_chunks=[b"x"], delay=0.05),
    lambda: Loading(estimated_time=1, times=3),
    lambda: ErrorEvent(after_tokens=2, message="boom", error_type="overloaded"),
    lambda: Reply(204, headers={"x-a": "b"}, chunks=[b"a"], delay=0, chunk_delay=0.01),
    lambda: Reply(200, {"any": ["json", 1]}, content_type="application/json"),
]


@pytest.mark.parametrize("make", GOOD)
def test_the_documented_forms_are_accepted(make: Callable[[], object]) -> None:
    make()


@pytest.mark.anyio
async def test_script_takes_only_step_instances(server: LocalInferenceServer) -> None:
    with pytest.raises(TypeError, match=r"an instance is needed: Drop\(\.\.\.\)"):
        server.script("gpt2", Drop)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a scripted step is one of Reply, Loading"):
        server.script_always("gpt2", {"status": 503})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"got Fault\(\)"):
        server.script("gpt2", Fault())
    assert server.requests == []
