"""A local Hugging Face Inference API server for tests and benchmarks.

``LocalInferenceServer`` is a real aiohttp server on 127.0.0.1 (a free port by default) that
speaks the Inference API wire protocol: the serverless ``/hf-inference/models/{model}``
routes of every task, chat completions (serverless and provider-routed), and TGI-style
dedicated endpoints. Answers are deterministic: the same request gets the same answer.

::

    async with LocalInferenceServer() as server:
        server.script("gpt2", Loading(estimated_time=1.0), Reply(200, [{"generated_text": "x"}]))
        ...  # point a client at server.base_url, server.router_url or server.endpoint_url()
        await server.wait_connections(0)

Which task answers ``POST /hf-inference/models/{model}`` (first match wins):

1. a model named ``task/<task>/<anything>``, e.g. ``task/fill-mask/my-model``;
2. the ``/pipeline/<task>`` URL segment (``.../models/{model}/pipeline/{task}``,
   ``/pipeline/{task}/{model}``);
3. an ``x-hf-task`` request header;
4. a table of well-known model ids (those of the recorded traffic: ``gpt2``,
   ``google/flan-t5-xxl``, ``bert-base-uncased``, ``facebook/bart-large-mnli``, ...);
5. keywords in the model name: ``tgi``, ``gpt``, ``llama``, ``mistral``, ``flan``... ->
   text-generation; ``stable-diffusion``, ``sd``, ``flux`` -> text-to-image; ``whisper``,
   ``wav2vec2`` -> automatic-speech-recognition; ``vit`` -> image-classification;
   ``sentence-transformers``, ``minilm``, ``bge`` -> feature-extraction; ``bert`` -> fill-mask;
   and so on (``_routing.KEYWORDS``);
6. the body: an image upload -> image-classification, audio -> automatic-speech-recognition,
   ``{"question", "context"}`` -> question-answering, ``{"query"|"question", "table"}`` ->
   table-question-answering, ``source_sentence`` -> sentence-similarity,
   ``candidate_labels`` -> zero-shot(-image)-classification, ``[MASK]`` -> fill-mask,
   a list of strings -> feature-extraction;
7. otherwise text-generation.

Text-generation models are served as TGI (streaming, details, validation 422s) unless the
model name contains ``non-tgi`` (then a transformers pipeline that rejects TGI-only
parameters with a 400). Model ids starting with ``missing/`` or containing
``does-not-exist`` answer 404 ``Model X does not exist``.

Streams can be paced and reshaped per request with ``x-test-token-delay``,
``x-test-sse-space`` and ``x-test-keepalive`` headers (or ``?token_delay=``, ``?sse_space=``,
``?keepalive=`` query parameters); see ``_server``.

Inference Providers: the server also answers the Hub's model -> provider mapping
(``GET /api/models/{id}?expand[]=inferenceProviderMapping``, set with ``server.map_model``),
the router's ``/{provider}/...`` routes of the 18 routed providers with each provider's wire
shape, job flows scripted with ``server.job_plan(key, Queued(), Running(), Done())``, and media
URLs under ``/_media/``; ``LocalInferenceServer(as_provider="fal-ai")`` plays a provider's own
host. See ``_providers``.

Scripts (``server.script(model, *steps)``) apply to every request whose model id (or
endpoint name, or the body's model on ``/v1/chat/completions``, without its ``:provider``
suffix) is ``model``, GET ``/info`` and ``/health`` included.
"""

from ._faults import BrokenChunked, Drop, ErrorEvent, Fault, Loading, Reply, Stall, Step
from ._providers import HOSTS, PROVIDERS, Done, Failed, JobPhase, Queued, Running
from ._responses import ResponseFailure
from ._server import LocalInferenceServer, RecordedRequest

__all__ = [
    "HOSTS",
    "PROVIDERS",
    "BrokenChunked",
    "Done",
    "Drop",
    "ErrorEvent",
    "Failed",
    "Fault",
    "JobPhase",
    "Loading",
    "LocalInferenceServer",
    "Queued",
    "RecordedRequest",
    "Reply",
    "ResponseFailure",
    "Running",
    "Stall",
    "Step",
]
