"""The pytest plugin that users load through the ``pytest11`` entry point."""

from __future__ import annotations

import pytest

from hf_inference.testing import Reply

pytestmark = pytest.mark.anyio

pytest_plugins = ["pytester"]


async def test_plugin_fixtures_give_a_bound_client(inference_client, local_inference_server):
    out = await inference_client.text_generation("hi", model="gpt2")
    assert out.generated_text
    assert local_inference_server.requests[-1].headers["authorization"] == "Bearer hf_local_test"


def test_plugin_is_registered_for_users(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from hf_inference import ServiceUnavailableError
        from hf_inference.testing import Reply

        pytestmark = pytest.mark.anyio

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        async def test_user_app(inference_client, local_inference_server):
            local_inference_server.script("gpt2", Reply(status=503, body={"error": "busy"}))
            with pytest.raises(ServiceUnavailableError):
                await inference_client.text_generation("hi", model="gpt2")
        """
    )
    result = pytester.runpytest_subprocess("-p", "anyio", "-W", "error")
    result.assert_outcomes(passed=1)


def test_reply_is_exported() -> None:
    assert Reply(status=200).status == 200
