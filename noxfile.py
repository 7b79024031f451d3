"""Development sessions: `nox -s tests lint typing docs interop` is what CI runs."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typing", "docs", "interop"]
# A Python version that is not installed fails the run: a partial run must not look green.
nox.options.error_on_missing_interpreters = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
PYPROJECT = nox.project.load_toml("pyproject.toml")


def install_group(session: nox.Session, *groups: str) -> None:
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite against the bundled local API server (no token, no network)."""
    install_group(session, "test")
    session.install("-e", ".")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    install_group(session, "lint")
    paths = ("hf_inference", "_hf_inference_pytestplugin.py", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session(python="3.11")
def typing(session: nox.Session) -> None:
    """mypy --strict over the package and the typing check file; the expected-error test."""
    install_group(session, "typing")
    session.install("-e", ".")
    session.run(
        "mypy", "--strict", "hf_inference", "_hf_inference_pytestplugin.py", "tests/typing_check.py"
    )
    # ...and what mypy must refuse: misspelled and mistyped task parameters.
    session.env["HF_INFERENCE_TYPING_REQUIRED"] = "1"
    session.run("pytest", "-q", "-p", "no:cacheprovider", "tests/test_typing.py")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the documentation site with --strict."""
    install_group(session, "docs")
    session.install("-e", ".")
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    session.run(
        "mkdocs", "build", "--strict", "--site-dir", os.path.join(session.create_tmp(), "site")
    )


@nox.session(python="3.11")
def interop(session: nox.Session) -> None:
    """Peer clients (huggingface_hub, openai) against the local server: proof it is faithful."""
    install_group(session, "test", "interop")
    session.install("-e", ".")
    # A missing peer fails instead of skipping: CI must not pass by running none of them.
    session.env["HF_INFERENCE_INTEROP_REQUIRED"] = "1"
    session.run(
        "pytest",
        "-m",
        "interop",
        "tests/test_interop.py",
        "tests/test_provider_server_interop.py",
        "tests/test_docs.py",  # docs/migrating.md's huggingface_hub and openai tabs
        *session.posargs,
    )


@nox.session(python="3.11", default=False)
def mutants(session: nox.Session) -> None:
    """Apply each realistic bug of tests/mutants/mutations.py alone; report what no test caught."""
    install_group(session, "test")
    session.install("-e", ".")
    session.run("python", "tests/mutants/run.py", *session.posargs)


@nox.session(python="3.11", default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks against raw aiohttp and the peer clients; writes docs/benchmarks.md."""
    install_group(session, "bench")
    session.install("-e", ".")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python="3.11", default=False)
def screenshot(session: nox.Session) -> None:
    """docs/img/chat_app.png: the chat app's page after a reply, in a headless Chromium."""
    install_group(session, "test")
    session.install("-e", ".[fastapi]")
    session.run("python", "-m", "examples.chat_app.screenshot", "docs/img/chat_app.png")
