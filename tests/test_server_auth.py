"""The carriers' verifiers in the server: ``StreamServer(verifiers=[...],
public_url=...)`` closes an upgrade they refuse with 1008 and logs one line,
on every transport, with good, bad, missing and duplicated credentials."""

from __future__ import annotations

import asyncio
import base64
import json
import logging

import pytest

import test_twilio_session as twl
import test_vonage_session as von
from streamcodec.exotel.auth import BasicAuth
from streamcodec.signalwire.auth import BearerTokenAuth
from streamcodec.twilio.auth import SignatureAuth, signature
from streamcodec.vonage.auth import JwtAuth
from streamtest import run
from test_carrier_auth import VONAGE_CLAIMS, make_jwt
from test_transports import TRANSPORTS, _connect, serving

PUBLIC = "wss://voice.example"
TWILIO_STOP = json.dumps({"event": "stop", "sequenceNumber": "9", "streamSid": twl.SID,
                          "stop": {"accountSid": "AC1", "callSid": "CA1"}})


@pytest.fixture(params=TRANSPORTS)
def kind(request):
    if request.param == "picows":
        pytest.importorskip("picows", reason="extra 'fast' not installed")
    return request.param


async def _app(call):
    async for _ in call:
        pass


def call_through(kind, verifier, headers, messages, caplog):
    """Send ``messages`` over an upgrade carrying ``headers``; returns (the
    close code the caller saw, the server's refusal log lines)."""
    async def main():
        async with serving(kind, _app, rate=16000, verifiers=[verifier], public_url=PUBLIC,
                           idle_timeout=5) as (server, url):
            from websockets.exceptions import ConnectionClosed
            async with _connect(url + "/stream", additional_headers=headers) as ws:
                try:
                    for message in messages:
                        await ws.send(message)
                    while True:
                        await asyncio.wait_for(ws.recv(), 2)
                except (ConnectionClosed, asyncio.TimeoutError):
                    pass
                return ws.close_code

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="streamcodec.server"):
        code = run(main(), 30)
    return code, [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]


TWILIO_CALL = [twl.start_msg(), twl.media_msg(1, b"\xff" * 160, 2), TWILIO_STOP]


def test_twilio_signature_in_the_server(kind, caplog):
    verifier = SignatureAuth("auth-token")
    good = signature("auth-token", PUBLIC + "/stream")
    code, refused = call_through(kind, verifier, [("X-Twilio-Signature", good)], TWILIO_CALL,
                                 caplog)
    assert code == 1000 and refused == []
    for headers, reason in [
        ([("X-Twilio-Signature", signature("other", PUBLIC + "/stream"))], "does not match"),
        ([], "missing X-Twilio-Signature"),
        ([("X-Twilio-Signature", good), ("X-Twilio-Signature", good)], "sent 2 times"),
    ]:
        code, refused = call_through(kind, verifier, headers, TWILIO_CALL, caplog)
        assert code == 1008 and len(refused) == 1 and reason in refused[0], (headers, refused)


def test_signalwire_exotel_bearer_and_basic_in_the_server(caplog):
    bearer = BearerTokenAuth("sw-token")
    code, refused = call_through("websockets", bearer, [("Authorization", "Bearer sw-token")],
                                 TWILIO_CALL, caplog)
    assert code == 1000 and refused == []
    code, refused = call_through("websockets", bearer, [("Authorization", "Bearer x")],
                                 TWILIO_CALL, caplog)
    assert code == 1008 and "bearer token does not match" in refused[0]
    basic = BasicAuth("key", "token")
    good = "Basic " + base64.b64encode(b"key:token").decode()
    code, refused = call_through("websockets", basic, [("Authorization", good)], TWILIO_CALL,
                                 caplog)
    assert code == 1000 and refused == []
    code, refused = call_through("websockets", basic, [], TWILIO_CALL, caplog)
    assert code == 1008 and "missing Authorization" in refused[0]


def test_vonage_jwt_in_the_server(caplog):
    import time
    verifier = JwtAuth(signature_secret="secret")
    claims = {**VONAGE_CLAIMS, "iat": int(time.time())}
    messages = [von.connected(16000), b"\x00\x01" * 320]
    code, refused = call_through("websockets", verifier,
                                 [("Authorization", f"Bearer {make_jwt(claims)}")],
                                 messages, caplog)
    assert code != 1008 and refused == []
    code, refused = call_through("websockets", verifier,
                                 [("Authorization", f"Bearer {make_jwt(claims, b'wrong')}")],
                                 messages, caplog)
    assert code == 1008 and "JWT signature does not match" in refused[0]
