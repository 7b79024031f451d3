"""The pytest plugin that users load through the ``pytest11`` entry point.

Each user session runs in a fresh interpreter (``runpytest_subprocess``), as a user's pytest
does, under each async test runner the plugin supports: anyio's plugin, pytest-asyncio in
strict mode and in auto mode.
"""

from __future__ import annotations

import pytest

from hf_inference.testing import Reply

pytestmark = pytest.mark.anyio

pytest_plugins = ["pytester"]

#: The body every user test runs: a scripted fault reaches the client at once, over a real
#: socket to a server on the test's own loop (on another loop the request would hang).
USER_TEST_BODY = """
import anyio
import pytest
from hf_inference import ServiceUnavailableError
from hf_inference.testing import Reply


async def check(inference_client, local_inference_server):
    with anyio.fail_after(10):
        local_inference_server.script("gpt2", Reply(status=503, body={"error": "busy"}))
        with pytest.raises(ServiceUnavailableError):
            await inference_client.text_generation("hi", model="gpt2")
        out = await inference_client.text_generation("hi", model="gpt2")
        assert out.generated_text
        assert inference_client.base_url == local_inference_server.base_url
        auth = local_inference_server.requests[-1].headers["authorization"]
        assert auth == "Bearer hf_local_test"
"""

ANYIO_TESTS = """
@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_on_anyio(inference_client, local_inference_server):
    await check(inference_client, local_inference_server)
"""

ASYNCIO_STRICT_TESTS = """
@pytest.mark.asyncio
async def test_on_pytest_asyncio(inference_client, local_inference_server):
    await check(inference_client, local_inference_server)


@pytest.mark.asyncio(loop_scope="module")
async def test_on_a_module_scoped_loop(inference_client, local_inference_server):
    await check(inference_client, local_inference_server)


@pytest.mark.asyncio
async def test_server_alone(local_inference_server):
    assert local_inference_server.requests == []
"""

ASYNCIO_AUTO_TESTS = """
async def test_unmarked_in_auto_mode(inference_client, local_inference_server):
    await check(inference_client, local_inference_server)
"""

SYNC_TEST = """
def test_sync_test_asks_for_the_server(local_inference_server):
    pass
"""


def asyncio_ini(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makeini(
        f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
    )


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-W", "error", *args
    )


async def test_plugin_fixtures_give_a_bound_client(inference_client, local_inference_server):
    out = await inference_client.text_generation("hi", model="gpt2")
    assert out.generated_text
    assert local_inference_server.requests[-1].headers["authorization"] == "Bearer hf_local_test"


def test_plugin_works_under_anyio_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USER_TEST_BODY + ANYIO_TESTS)
    run(pytester, "-p", "anyio", "-p", "no:asyncio").assert_outcomes(passed=1)


def test_plugin_works_under_pytest_asyncio_strict_mode(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    asyncio_ini(pytester, "strict")
    # anyio-marked tests keep working beside pytest-asyncio in the same session.
    pytester.makepyfile(USER_TEST_BODY + ANYIO_TESTS + ASYNCIO_STRICT_TESTS)
    run(pytester, "-p", "asyncio").assert_outcomes(passed=4)


def test_plugin_works_under_pytest_asyncio_auto_mode(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    asyncio_ini(pytester, "auto")
    pytester.makepyfile(USER_TEST_BODY + ASYNCIO_AUTO_TESTS)
    run(pytester, "-p", "asyncio").assert_outcomes(passed=1)


def test_a_test_no_runner_runs_is_told_what_to_do(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SYNC_TEST)
    result = run(pytester, "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*local_inference_server runs on the test's event loop*@pytest.mark.anyio*"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_documented_module_name_still_loads_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["hf_inference.testing.plugin"]\n')
    pytester.makepyfile(USER_TEST_BODY + ANYIO_TESTS)
    run(pytester, "-p", "anyio", "-p", "no:asyncio", "-p", "no:hf_inference").assert_outcomes(
        passed=1
    )


def test_plugin_imports_nothing_heavy_until_a_fixture_is_used(pytester: pytest.Pytester) -> None:
    # pytest imports the plugin in every project of the environment: it must cost nothing
    # there. The test runs in the user's session, after the plugin was loaded.
    pytester.makepyfile(
        """
        import sys

        def test_unrelated_project(pytestconfig):
            assert pytestconfig.pluginmanager.hasplugin("hf_inference")
            heavy = {"hf_inference", "aiohttp", "msgspec", "anyio._backends._asyncio"}
            assert sorted(heavy & set(sys.modules)) == []
        """
    )
    run(pytester, "-p", "no:asyncio", "-p", "no:anyio").assert_outcomes(passed=1)


def test_reply_is_exported() -> None:
    assert Reply(status=200).status == 200
