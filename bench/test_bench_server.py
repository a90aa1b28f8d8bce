"""pytest-benchmark suite for the reference server: one whole simulated call
(1 s of speech-like audio, 50 media messages each way, as fast as possible)
through the server (websockets, and picows when installed) and the echo
application on loopback, server and caller in this process.  Run with
``pytest bench/test_bench_server.py --benchmark-only``; the real-time
figures, each server in its own process, come from
``python bench/compare_server.py``."""

from __future__ import annotations

import asyncio

import pytest

import streamcodec as sc
from streamcodec.server import PicowsServer, StreamServer, echo_app
from streamcodec.server.run import installed
from streamcodec.simulate import simulate_call


SERVERS = [StreamServer] + ([PicowsServer] if installed("picows") else [])


@pytest.fixture(scope="module", params=SERVERS, ids=lambda cls: cls.transport_name)
def loop_and_server(request):
    loop = asyncio.new_event_loop()
    server = request.param(echo_app, rate=16000)
    loop.run_until_complete(server.start())
    yield loop, server
    loop.run_until_complete(server.close())
    loop.close()


@pytest.mark.parametrize("codec", [c for c in ("PCMU", "L16", "OPUS")
                                   if sc.codecs()[c].available])
def test_one_second_call(benchmark, loop_and_server, codec):
    loop, server = loop_and_server
    pcm_rate = 8000 if codec == "PCMU" else 16000

    def call():
        return loop.run_until_complete(simulate_call(
            server.url, codec=codec, codec_rate=pcm_rate, seconds=1.0, linger_idle=0.0,
            linger_max=0.0, playback_codec="PCMU"))

    benchmark.group = "server-call"
    result = benchmark.pedantic(call, rounds=10, warmup_rounds=1)
    assert result.close_code == 1000 and result.received_media == 50
