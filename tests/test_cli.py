"""The ``hf-inference`` command line, run for real in subprocesses.

Against ``--local`` (an in-process server in the CLI itself) or a LocalInferenceServer started
by the test and passed with ``--base-url`` / ``--endpoint``. The table of usage errors runs
in-process through the same ``main()``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Awaitable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypedDict, TypeVar

import anyio
import msgspec
import pytest
from anyio.abc import Process

from hf_inference import AsyncInferenceClient
from hf_inference._cli_parameters import DEST_PREFIX, PARAMETER_ONLY, add_parameter_options
from hf_inference._params import CALL_OPTION_NAMES
from hf_inference._tasks import CHAT_COMPLETION, TASKS
from hf_inference.cli import (
    _common_options,
    _parameter_options,
    array_summary,
    build_parser,
    main,
    parameters_of,
    render,
    shape_of,
)
from hf_inference.testing import Loading, LocalInferenceServer
from hf_inference.testing._media import write_samples
from hf_inference.types import TextGenerationOutput, TextGenerationStreamOutput

pytestmark = pytest.mark.anyio

TIMEOUT = 30
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
T = TypeVar("T")
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and ptys")


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No token from the developer's machine leaks in; warnings are errors."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH")
    }
    return {**base, "HF_HOME": str(tmp_path / "hf"), "PYTHONWARNINGS": "error", **extra}


def command(*args: str) -> list[str]:
    return [sys.executable, "-W", "error", "-m", "hf_inference", *args]


def run(
    tmp_path: Path, *args: str, input: bytes | None = None, **extra: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        command(*args),
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=TIMEOUT,
        env=env(tmp_path, **extra),
        cwd=tmp_path,
        check=False,
    )


def run_all(
    tmp_path: Path, *invocations: Sequence[str], input: bytes | None = None
) -> list[subprocess.CompletedProcess[bytes]]:
    """Several independent runs at once: interpreter start-up dominates their time."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(run, tmp_path, *args, input=input) for args in invocations]
        return [f.result() for f in futures]


async def arun(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI while this test's event loop keeps serving the local server."""
    with anyio.fail_after(TIMEOUT):
        return await anyio.run_process(
            command(*args), check=False, env=env(tmp_path, **extra), cwd=tmp_path
        )


async def gather(runs: dict[str, Awaitable[T]]) -> dict[str, T]:
    results: dict[str, T] = {}

    async def one(key: str, awaitable: Awaitable[T]) -> None:
        results[key] = await awaitable

    async with anyio.create_task_group() as tg:
        for key, awaitable in runs.items():
            tg.start_soon(one, key, awaitable)
    return results


async def generate(server: LocalInferenceServer, prompt: str, **params: int) -> str:
    async with AsyncInferenceClient(False, base_url=server.base_url) as client:
        out = await client.text_generation(prompt, model="gpt2", parameters=params)
    return out.generated_text


def stderr_line(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode()
    assert "Traceback" not in text
    assert text.count("\n") == 1, text
    return text.strip()


# -- commands -------------------------------------------------------------------------------


def test_one_subcommand_per_task_from_the_task_table() -> None:
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    tasks = {name.replace("_", "-") for name, spec in TASKS.items() if not spec.stream}
    assert commands == (tasks - {"chat-completion"}) | {"chat", "serve"}


def test_console_script_is_installed_and_runs(tmp_path: Path) -> None:
    script = shutil.which("hf-inference", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the package is not installed (pip install -e .)")
    result = subprocess.run(
        [script, "fill-mask", "--local", "Paris is the [MASK] of France."],
        capture_output=True,
        timeout=TIMEOUT,
        env=env(tmp_path),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Paris is the" in result.stdout.decode()


async def test_text_generation_streams_the_generated_text(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    result = run(tmp_path, "text-generation", "--local", "-P", "max_new_tokens=12", "Hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == await generate(server, "Hello", max_new_tokens=12) + "\n"
    assert result.stderr == b""


def test_json_stream_prints_one_event_per_line(tmp_path: Path) -> None:
    result = run(tmp_path, "text-generation", "--local", "--json", "-P", "max_new_tokens=5", "Hi")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    events = [msgspec.json.decode(line, type=TextGenerationStreamOutput) for line in lines]
    assert len(events) == 5
    assert events[-1].generated_text == "".join(e.token.text for e in events)


def test_json_result_is_the_decoded_struct(tmp_path: Path) -> None:
    result = run(
        tmp_path, "text-generation", "--local", "--no-stream", "--json", "--parameters",
        '{"max_new_tokens": 4, "details": true}', "Hi",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = msgspec.json.decode(result.stdout, type=TextGenerationOutput)
    assert out.details is not None
    assert out.details.generated_tokens == 4


def test_models_that_cannot_stream_fall_back_to_one_answer(tmp_path: Path) -> None:
    result = run(tmp_path, "text-generation", "--local", "-m", "gpt2-non-tgi", "Hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("Hello ")  # a pipeline repeats the prompt
    assert result.stderr == b""


def test_chat_streams_the_reply(tmp_path: Path) -> None:
    result = run(tmp_path, "chat", "--local", "--max-tokens", "6", "Hello there")
    assert result.returncode == 0, result.stderr
    reply = result.stdout.decode()
    assert reply.startswith("Hello! I am the local")  # an answer, not the message repeated
    assert len(reply.split()) == 6


async def test_chat_against_a_dedicated_endpoint(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    result = await arun(tmp_path, "chat", "--endpoint", server.endpoint_url("tgi"), "Hi you")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("Hello! I am the local")  # greeted back
    assert server.requests[-1].path == "/endpoints/tgi/v1/chat/completions"


def test_text_from_stdin_and_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("Bonjour\n", encoding="utf-8")
    from_file, from_stdin, piped = run_all(
        tmp_path,
        ("translation", "--local", "--json", "@in.txt"),
        ("translation", "--local", "--json", "-"),
        ("translation", "--local", "--json"),
        input=b"Bonjour\n",
    )
    assert from_file.returncode == from_stdin.returncode == piped.returncode == 0
    assert from_file.stdout == from_stdin.stdout == piped.stdout
    assert b"translation_text" in from_file.stdout


def test_binary_input_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(PNG)
    from_file, from_stdin = run_all(
        tmp_path,
        ("image-classification", "--local", "cat.png"),
        ("image-classification", "--local", "--json", "-"),
        input=PNG,
    )
    assert from_file.returncode == from_stdin.returncode == 0, from_file.stderr
    labels = msgspec.json.decode(from_stdin.stdout)
    assert labels
    assert {"label", "score"} <= set(labels[0])
    # The same answer, shown as a table: "  0.4253  tabby cat" per label.
    assert from_file.stdout.decode() == render(labels) + "\n"
    assert labels[0]["label"] in from_file.stdout.decode().splitlines()[0]


def test_dict_inputs_from_options_or_json(tmp_path: Path) -> None:
    options, as_json = run_all(
        tmp_path,
        ("question-answering", "--local", "--question", "Where does Alice live?",
         "--context", "Alice lives in Paris."),
        ("question-answering", "--local", "--inputs",
         '{"question": "Where does Alice live?", "context": "Alice lives in Paris."}'),
    )  # fmt: skip
    assert options.returncode == 0, options.stderr
    assert options.stdout == as_json.stdout
    assert options.stdout.strip()


def test_binary_output_goes_to_a_file_or_a_pipe(tmp_path: Path) -> None:
    to_file, piped = run_all(
        tmp_path,
        ("text-to-image", "--local", "a horse", "-o", "horse.png"),
        ("text-to-image", "--local", "a horse"),
    )
    assert to_file.returncode == 0, to_file.stderr
    image = (tmp_path / "horse.png").read_bytes()
    assert image.startswith(b"\x89PNG")
    assert "horse.png" in to_file.stderr.decode()
    assert piped.returncode == 0
    assert piped.stdout == image


@POSIX
def test_binary_output_is_never_written_to_a_terminal(tmp_path: Path) -> None:
    import pty

    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            command("text-to-image", "--local", "a horse"),
            stdout=terminal,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=TIMEOUT,
            env=env(tmp_path),
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 2
    assert "pass -o FILE" in stderr_line(result)


EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"


async def test_feature_extraction_prints_one_json_array_when_piped(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    async with AsyncInferenceClient(False, base_url=server.base_url) as client:
        expected = await client.feature_extraction("Hello world", model=EMBEDDER)
    base = ("feature-extraction", "--base-url", server.base_url, "-m", EMBEDDER, "Hello world")
    runs = await gather({"piped": arun(tmp_path, *base), "json": arun(tmp_path, *base, "--json")})
    for result in runs.values():
        assert result.returncode == 0
        assert result.stdout.count(b"\n") == 1  # one line: the whole array
        assert json.loads(result.stdout) == expected  # valid JSON, every value, same shape
    assert len(expected) > 1


@POSIX
def test_feature_extraction_on_a_terminal_prints_its_shape(tmp_path: Path) -> None:
    import pty

    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            command("feature-extraction", "--local", "-m", EMBEDDER, "Hello world"),
            stdout=terminal,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=TIMEOUT,
            env=env(tmp_path),
            check=False,
        )
        os.close(terminal)
        terminal = -1
        shown = _drain(controller)
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(controller)
    assert result.returncode == 0
    assert re.fullmatch(r"array of shape \(\d+,\): \[(-?\d\.\d{4}, ){3}\.\.\., .*\]\r\n", shown)
    assert "--json" in stderr_line(result)


def test_array_summary_keeps_the_shape_of_nested_embeddings() -> None:
    nested = [[[0.5, -1.0, 2.0]] * 4] * 2
    assert shape_of(nested) == (2, 4, 3)
    assert array_summary(nested) == "array of shape (2, 4, 3); first row: [0.5000, -1.0000, 2.0000]"
    assert array_summary(list(range(10))) == (
        "array of shape (10,): [0.0000, 1.0000, 2.0000, ..., 8.0000, 9.0000]"
    )


# -- task parameters as options ---------------------------------------------------------------


def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    return dict(action.choices)  # type: ignore[arg-type]


def table_rows() -> list[tuple[str, frozenset[str]]]:
    """(subcommand, the parameter names of its task-table row) for every subcommand of a task."""
    rows = [
        (name.replace("_", "-"), spec.parameter_names)
        for name, spec in TASKS.items()
        if not spec.stream and name != "chat_completion"
    ]
    return [*rows, ("chat", CHAT_COMPLETION.parameter_names - CALL_OPTION_NAMES)]


def sample(action: argparse.Action) -> tuple[list[str], object] | None:
    """Command-line words for one parameter option and the value they should send."""
    if isinstance(action, argparse.BooleanOptionalAction):
        return [action.option_strings[0]], True
    if action.choices is not None:
        first = next(iter(action.choices))
        return [action.option_strings[0], first], first
    if isinstance(action, argparse._AppendAction):
        return [action.option_strings[0], "a, b", action.option_strings[0], "c"], ["a, b", "c"]
    if action.type is int:
        return [action.option_strings[0], "3"], 3
    if action.type is float:
        return [action.option_strings[0], "0.5"], 0.5
    if action.type is None:
        return [action.option_strings[0], "some text"], "some text"
    return None  # JSON: checked against its annotation, covered on the wire below


def test_cli_follows_the_table_one_option_per_parameter() -> None:
    parsers = subcommands()
    checked = json_options = 0
    for command_name, names in table_rows():
        parser = parsers[command_name]
        help_text = parser.format_help()
        section = help_text[help_text.index("task parameters:") :]
        positional = ["x"] if any(a.dest == "input" for a in parser._actions) else []
        for name in sorted(names):
            option = "--" + name.replace("_", "-")
            action = parser._option_string_actions.get(option)
            if action is None or action.dest != DEST_PREFIX + name:
                # Its option name is taken: the help must say it goes through -P.
                only = section[section.index(PARAMETER_ONLY) :].split("\n\n")[0]
                assert re.search(rf"\b{name}\b", only), f"{command_name}: {name} unreachable"
                continue
            assert option in section, f"{command_name} --help does not list {option}"
            words = sample(action)
            if words is None:
                json_options += 1
                continue
            args = build_parser().parse_args([command_name, *words[0], *positional])
            assert parameters_of(args) == {name: words[1]}, f"{command_name} {option}"
            checked += 1
    assert checked > 100  # every typed option of ~30 subcommands, not a vacuous walk
    assert json_options >= 8


class Colliding(TypedDict, total=False):
    timeout: float  # --timeout is the read timeout
    json: bool  # --json prints JSON
    stream: bool  # --stream would be free, but --no-stream is taken
    top_k: int


def test_a_parameter_whose_option_name_is_taken_is_left_to_P() -> None:
    parser = argparse.ArgumentParser(parents=[_common_options(), _parameter_options()])
    parser.add_argument("--no-stream", action="store_true")
    options = add_parameter_options(parser, Colliding)
    assert options == {"json": None, "stream": None, "timeout": None, "top_k": "--top-k"}
    assert f"{PARAMETER_ONLY} json, stream, timeout" in " ".join(parser.format_help().split())
    args = parser.parse_args(["--timeout", "3", "-P", "timeout=5", "--top-k", "2", "--json"])
    assert args.timeout == 3.0 and args.json is True  # the existing options keep their meaning
    assert parameters_of(args) == {"timeout": 5, "top_k": 2}


async def test_typed_options_reach_the_wire_under_their_wire_names(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    write_samples(tmp_path)
    (tmp_path / "generation.json").write_text('{"max_new_tokens": 5}', encoding="utf-8")
    base = ("--base-url", server.base_url, "-m")
    runs = await gather(
        {
            "text-generation": arun(
                tmp_path, "text-generation", *base, "gpt2", "--no-stream", "--max-new-tokens",
                "5", "--temperature", "0.5", "--no-details", "--stop", "a, b", "--stop", "END",
                "Hi",
            ),
            "feature-extraction": arun(
                tmp_path, "feature-extraction", *base, EMBEDDER, "--normalize",
                "--truncation-direction", "left", "Hi",
            ),
            "image-to-image": arun(
                tmp_path, "image-to-image", *base, "task/image-to-image/local", "--target-size",
                '{"width": 64, "height": 32}', "--prompt", "a cat", "cats.png", "-o", "out.png",
            ),
            "automatic-speech-recognition": arun(
                tmp_path, "automatic-speech-recognition", *base,
                "task/automatic-speech-recognition/local", "--generation-parameters",
                "@generation.json", "--no-return-timestamps", "sample1.flac",
            ),
            "chat": arun(
                tmp_path, "chat", *base, "meta-llama/Llama-3.1-8B-Instruct", "--max-tokens",
                "3", "--tool-choice", "auto", "--stop", "END", "Hi",
            ),
        }
    )  # fmt: skip
    for name, result in runs.items():
        assert result.returncode == 0, (name, result.stderr)
    bodies = {request.model: request.json for request in server.requests}
    assert bodies["gpt2"]["parameters"] == {
        "max_new_tokens": 5, "temperature": 0.5, "details": False, "stop": ["a, b", "END"],
    }  # fmt: skip
    # feature-extraction's parameters sit beside "inputs", where its specification puts them.
    assert bodies[EMBEDDER] == {"inputs": "Hi", "normalize": True, "truncation_direction": "left"}
    image = bodies["task/image-to-image/local"]
    assert image["parameters"] == {"target_size": {"width": 64, "height": 32}, "prompt": "a cat"}
    assert isinstance(image["inputs"], str)  # base64, as binary inputs travel with parameters
    assert bodies["task/automatic-speech-recognition/local"]["parameters"] == {
        "generation_parameters": {"max_new_tokens": 5}, "return_timestamps": False,
    }  # fmt: skip
    chat = bodies["meta-llama/Llama-3.1-8B-Instruct"]
    assert (chat["max_tokens"], chat["tool_choice"], chat["stop"]) == (3, "auto", ["END"])


async def test_a_bad_parameter_value_is_a_usage_error_before_any_request(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    base = ("--base-url", server.base_url, "-m")
    runs = await gather(
        {
            "choice": arun(tmp_path, "summarization", *base, "t5", "--truncation", "all", "Hi"),
            "int": arun(tmp_path, "text-generation", *base, "gpt2", "--top-k", "many", "Hi"),
            "json": arun(
                tmp_path, "image-to-image", *base, "m", "--target-size", '{"width": 64}', "x.png"
            ),
            "not json": arun(
                tmp_path, "text-generation", *base, "gpt2", "--grammar", "{oops", "Hi"
            ),
        }
    )
    assert {k: r.returncode for k, r in runs.items()} == dict.fromkeys(runs, 2)
    errors = {k: r.stderr.decode().splitlines()[-1] for k, r in runs.items()}
    assert "argument --truncation: invalid choice: 'all' (choose from" in errors["choice"]
    assert "argument --top-k: invalid int value: 'many'" in errors["int"]
    assert (
        "target_size does not fit TargetSize: Object missing required field `height`"
        in (errors["json"])
    )
    assert "argument --grammar: grammar must be JSON" in errors["not json"]
    assert server.requests == []


def test_task_help_lists_its_parameters(tmp_path: Path) -> None:
    generation, summarization = run_all(
        tmp_path, ("text-generation", "--help"), ("summarization", "--help")
    )
    assert generation.returncode == summarization.returncode == 0
    shown = generation.stdout.decode()
    section = shown[shown.index("task parameters:") :]
    assert re.search(r"--max-new-tokens INT +max_new_tokens: an integer", section)
    assert "--details, --no-details" in section
    assert re.search(r"--stop TEXT +stop: a list of strings; repeat the option", section)
    assert "--truncation {do_not_truncate,longest_first,only_first,only_second}" in (
        summarization.stdout.decode()
    )


# -- errors ---------------------------------------------------------------------------------


def test_api_error_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = run(tmp_path, "text-generation", "--local", "--model", "missing/model", "Hi")
    assert result.returncode == 1
    line = stderr_line(result)
    assert line.startswith("error: NotFoundError: status=404, model=missing/model, ")
    assert line.endswith("Model missing/model does not exist")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["text-generation", "Hi"], "error: --model is required"),
        (["text-generation", "--local", "--parameters", "{oops", "Hi"], "error: --parameters"),
        (["text-generation", "--local", "-P", "novalue", "Hi"], "error: -P expects KEY=VALUE"),
        (["image-classification", "--local", "nope.png"], "error: no such file: 'nope.png'"),
        (["text-generation", "--local", "--model", "a b", "Hi"], "error: InvalidInputError: "),
        (["text-generation", "--local", "--base-url", "http://x", "Hi"], "error: --local cannot"),
        (["question-answering", "--local", "--question", "Who?"], "error: question-answering "
         "needs --context (or --inputs JSON)"),
        # A parameter given in two places: neither wins silently.
        (["text-generation", "--local", "--max-new-tokens", "5", "-P", "max_new_tokens=6", "Hi"],
         "error: 'max_new_tokens' given twice (-P and --max-new-tokens): give it once"),
        (["text-generation", "--local", "--parameters", '{"top_k": 2}', "-P", "top_k=3", "Hi"],
         "error: 'top_k' given twice (--parameters and -P)"),
        (["fill-mask", "--local", "-P", "top_k=2", "-P", "top_k=3", "a [MASK]"],
         "error: 'top_k' given twice (-P and -P)"),
        (["zero-shot-classification", "--local", "--labels", "a,b", "--candidate-labels", "c",
          "Hi"], "error: 'candidate_labels' given twice (--candidate-labels and --labels)"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process, the same main() as the console script (the subprocess tests cover the rest).
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


def exit_code_table() -> dict[int, str]:
    page = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text("utf-8")
    return {
        int(code): meaning for code, meaning in re.findall(r"^\| (\d+) \| (.+) \|$", page, re.M)
    }


def test_exit_codes_are_the_ones_the_docs_table_gives(tmp_path: Path) -> None:
    table = exit_code_table()
    missing_file, missing_text_file, unwritable = run_all(
        tmp_path,
        ("image-classification", "--local", "no-such-photo.png"),
        ("text-classification", "--local", "@no-such-article.txt"),
        ("text-to-image", "--local", "a horse", "-o", str(tmp_path / "no-dir" / "horse.png")),
    )
    # An input file that is not there is a usage error: the command line names it.
    assert missing_file.returncode == missing_text_file.returncode == 2
    assert "input file that does not exist" in table[2]
    assert stderr_line(missing_file) == "error: no such file: 'no-such-photo.png'"
    assert stderr_line(missing_text_file).startswith("error: cannot read 'no-such-article.txt'")
    # Failing to write the answer happens after the API call: an I/O error.
    assert unwritable.returncode == 1
    assert "output file" in table[1] and "file" not in table[2].replace("input file", "")


def test_usage_errors_in_a_real_process(tmp_path: Path) -> None:
    missing, unknown = run_all(tmp_path, ("text-generation", "--local"), ("no-such-task",))
    assert missing.returncode == unknown.returncode == 2
    assert stderr_line(missing).startswith("error: missing input text")
    assert b"invalid choice" in unknown.stderr


async def test_token_from_option_env_file_or_none(tmp_path: Path) -> None:
    with_file = tmp_path / "with-file"
    (with_file / "hf").mkdir(parents=True)
    (with_file / "hf" / "token").write_text("hf_secret\n")
    async with LocalInferenceServer(token="hf_secret") as server:
        base = ("fill-mask", "--base-url", server.base_url, "--model", "bert-base-uncased")
        runs = {
            "option": arun(tmp_path, *base, "--token", "hf_secret", "a [MASK]"),
            "env": arun(tmp_path, *base, "a [MASK]", HF_TOKEN="hf_secret"),
            "file": arun(with_file, *base, "a [MASK]"),
            "none": arun(tmp_path, *base, "a [MASK]"),
        }
        results = await gather(runs)
    assert {k: r.returncode for k, r in results.items()} == {
        "option": 0,
        "env": 0,
        "file": 0,
        "none": 1,
    }
    line = stderr_line(results["none"])
    assert line.startswith("error: AuthenticationError: status=401")
    assert "hf_secret" not in line


# -- live behaviour: loading progress, Ctrl-C, serve ------------------------------------------


async def read_until(process: Process, marker: bytes) -> bytes:
    assert process.stdout is not None
    seen = b""
    while marker not in seen:
        seen += await process.stdout.receive()
    return seen


@POSIX
async def test_progress_line_while_the_model_loads_on_a_terminal(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    import pty

    server.script("gpt2", Loading(estimated_time=1.0))
    controller, terminal = pty.openpty()
    try:
        with anyio.fail_after(TIMEOUT):
            process = await anyio.open_process(
                command("text-generation", "--base-url", server.base_url, "-m", "gpt2", "Hi"),
                stdin=subprocess.DEVNULL,
                stderr=terminal,
                env=env(tmp_path),
            )
            async with process:
                assert process.stdout is not None
                out = b"".join([chunk async for chunk in process.stdout])
                await process.wait()
        os.close(terminal)
        terminal = -1
        shown = _drain(controller)
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(controller)
    assert process.returncode == 0
    assert out.decode() == await generate(server, "Hi") + "\n"
    assert "gpt2 is loading: ready in ~1 s" in shown
    assert shown.endswith("\r\x1b[K")  # the line is erased before the answer


def _drain(fd: int) -> str:
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal side is closed and everything was read
            break
        if not chunk:
            break
        data += chunk
    return data.decode()


async def test_no_progress_line_when_stderr_is_not_a_terminal(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    server.script("gpt2", Loading(estimated_time=1.0))
    result = await arun(
        tmp_path, "text-generation", "--base-url", server.base_url, "-m", "gpt2", "Hi"
    )
    assert result.returncode == 0
    assert result.stderr == b""
    assert len([r for r in server.requests if r.model == "gpt2"]) == 2


@POSIX
async def test_ctrl_c_mid_stream_exits_130_and_releases_the_connection(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    args = (
        "text-generation", "--base-url", server.base_url, "-m", "gpt2",
        "-H", "x-test-token-delay: 0.02", "-P", "max_new_tokens=100000", "Hi",
    )  # fmt: skip
    with anyio.fail_after(TIMEOUT):
        process = await anyio.open_process(
            command(*args), stdin=subprocess.DEVNULL, env=env(tmp_path)
        )
        async with process:
            await read_until(process, b" ")  # tokens are arriving
            process.send_signal(signal.SIGINT)
            assert process.stderr is not None
            err = b"".join([chunk async for chunk in process.stderr])
            assert await process.wait() == 130
        await server.wait_connections(0)
    assert err == b""


@POSIX
async def test_serve_then_use_it_with_base_url(tmp_path: Path) -> None:
    with anyio.fail_after(TIMEOUT):
        process = await anyio.open_process(
            command("serve", "--port", "0"), stdin=subprocess.DEVNULL, env=env(tmp_path)
        )
        async with process:
            url = (await read_until(process, b"\n")).decode().splitlines()[0]
            assert url.startswith("http://127.0.0.1:")
            result = await arun(
                tmp_path, "text-generation", "--base-url", f"{url}/hf-inference", "-m", "gpt2",
                "-P", "max_new_tokens=3", "Hi",
            )  # fmt: skip
            process.send_signal(signal.SIGINT)
            assert process.stderr is not None
            err = b"".join([chunk async for chunk in process.stderr])
            assert await process.wait() == 0
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 3
    assert b"Traceback" not in err


def test_chat_message_from_stdin(tmp_path: Path) -> None:
    result = run(tmp_path, "chat", "--local", "--max-tokens", "3", "-", input=b"Hello\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("Hello")


async def test_chat_sends_a_parameter_it_does_not_name_in_the_body(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    endpoint = server.endpoint_url("tgi")
    result = await arun(
        tmp_path, "chat", "--endpoint", endpoint, "--max-tokens", "4", "-P", "top_k=5", "Hi"
    )
    assert result.returncode == 0, result.stderr
    body = server.requests[-1].json
    assert body["max_tokens"] == 4 and body["top_k"] == 5  # a provider's own knob, as given
