"""``python -m hf_inference.demo``, the newcomer's first command, run for real."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from hf_inference import AsyncInferenceClient
from hf_inference.demo import CHAT_MODEL, PROMPT, QUESTION
from hf_inference.demo import main as demo_main
from hf_inference.testing import LocalInferenceServer

pytestmark = pytest.mark.anyio

TIMEOUT = 30
DEMO = [sys.executable, "-W", "error", "-m", "hf_inference.demo"]


def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "NO_COLOR")}
    return {**clean, "HF_HOME": str(tmp_path), "PYTHONWARNINGS": "error"}


async def expected_texts(tokens: int) -> tuple[str, str]:
    """What the demo must print: the same calls, made directly."""
    async with (
        LocalInferenceServer() as server,
        AsyncInferenceClient(False, base_url=server.base_url) as client,
    ):
        generated = await client.text_generation(
            PROMPT, model="gpt2", parameters={"max_new_tokens": tokens}
        )
        reply = await client.chat_completion(
            [{"role": "user", "content": QUESTION}], model=CHAT_MODEL, max_tokens=tokens
        )
    return generated.generated_text, reply.choices[0].message.content or ""


async def test_demo_streams_both_tasks_then_prints_a_summary(tmp_path: Path) -> None:
    generated, reply = await expected_texts(10)
    with anyio.fail_after(TIMEOUT):
        result = await anyio.run_process(
            [*DEMO, "--tokens", "10", "--delay", "0"], env=env(tmp_path), check=False
        )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert "\x1b[" not in out  # no colours when stdout is not a terminal
    assert re.search(
        r"local Inference API at http://127\.0\.0\.1:\d+ \(no token, no network\)", out
    )
    assert "text_generation_stream(model='gpt2')" in out
    assert f"{PROMPT}{generated}\n" in out
    assert f"chat_completion_stream(model='{CHAT_MODEL}')" in out
    assert f"assistant: {reply}\n" in out
    summaries = re.findall(
        r"(text generation|chat completion): 10 tokens in [\d.]+ s, [\d.]+ tokens/s, "
        r"first token after \d+ ms",
        out,
    )
    assert summaries == ["text generation", "chat completion"]


async def test_tokens_arrive_live(tmp_path: Path) -> None:
    """With the default pacing, stdout receives the tokens piece by piece, not at the end."""
    with anyio.fail_after(TIMEOUT):
        process = await anyio.open_process(
            [*DEMO, "--tokens", "8"], stdin=subprocess.DEVNULL, env=env(tmp_path)
        )
        async with process:
            assert process.stdout is not None
            chunks = [chunk async for chunk in process.stdout]
            assert await process.wait() == 0
    # Each paced token is flushed on its own: many separate reads, not one block.
    assert len(chunks) > 8
    assert b"8 tokens in" in b"".join(chunks)


def test_chat_session_answers_each_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [*DEMO, "--chat", "--tokens", "4", "--delay", "0"],
        input=b"Hello there\nSecond question\n",
        capture_output=True,
        timeout=TIMEOUT,
        env=env(tmp_path),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    # Answers, not the questions repeated.
    assert lines[-2] == "Hello! I am the"  # 4 tokens
    assert not lines[-1].startswith("Second question")
    assert all(len(line.split()) == 4 for line in lines[-2:])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    with anyio.fail_after(TIMEOUT):
        process = await anyio.open_process(
            [*DEMO, "--tokens", "100000", "--delay", "0.01"],
            stdin=subprocess.DEVNULL,
            env=env(tmp_path),
        )
        async with process:
            assert process.stdout is not None
            seen = b""
            while PROMPT.encode() not in seen:
                seen += await process.stdout.receive()
            process.send_signal(signal.SIGINT)
            assert process.stderr is not None
            err = b"".join([chunk async for chunk in process.stderr])
            assert await process.wait() == 130
    assert err == b"interrupted\n"


def test_help_documents_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        demo_main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--tokens", "--model", "--chat", "--delay"):
        assert option in out


def test_next_hints_run_as_printed(tmp_path: Path) -> None:
    # The README's command leaves the scripts in the venv, not on PATH: the hints must name
    # them so that they work as printed, from where the demo ran.
    run_env = {**env(tmp_path), "PATH": os.defpath}
    result = subprocess.run(
        [*DEMO, "--tokens", "3", "--delay", "0"],
        capture_output=True,
        timeout=TIMEOUT,
        env=run_env,
        check=True,
    )
    lines = result.stdout.decode().splitlines()
    hints = lines[lines.index("Next:") + 1 :]
    bin_dir = Path(sys.executable).parent
    cli = os.path.relpath(bin_dir / "hf-inference")
    assert hints[0].startswith(f"  {cli if not cli.startswith('..') else bin_dir / 'hf-inference'}")
    generate = shlex.split(hints[0])
    assert generate[1:] == ["text-generation", "--local", "Once upon a time"]
    done = subprocess.run(generate, capture_output=True, timeout=TIMEOUT, env=run_env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    chat = shlex.split(hints[1].partition("(")[0])
    assert chat[1:] == ["-m", "hf_inference.demo", "--chat"]
    done = subprocess.run(
        [*chat, "--tokens", "3", "--delay", "0"],
        input=b"Hello\n",
        capture_output=True,
        timeout=TIMEOUT,
        env=run_env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "HF_TOKEN=hf_... " + generate[0] + " chat --model" in hints[2]
