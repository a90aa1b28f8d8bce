"""The verifiers on real WebSocket upgrade requests over 127.0.0.1: the
headers as a WebSocket library hands them over, and Exotel's
``wss://KEY:TOKEN@host`` form, which the client turns into Basic auth."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

import pytest

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect  # noqa: E402
from websockets.asyncio.server import serve  # noqa: E402
from websockets.exceptions import InvalidStatus  # noqa: E402

from streamcodec.exotel import answer as exotel_answer  # noqa: E402
from streamcodec.exotel.auth import BasicAuth  # noqa: E402
from streamcodec.signalwire.auth import BearerTokenAuth  # noqa: E402
from streamcodec.twilio.auth import SignatureAuth, signature  # noqa: E402


async def upgrade(verifier, client_url, public_path: str = "/stream", headers=None):
    """Connect to a server that runs ``verifier`` on the upgrade; returns
    (HTTP status, the reason the verifier gave).  ``client_url`` is a format
    string with ``{port}`` or a function of the port."""
    reasons = []

    def process_request(connection, request):
        public = f"wss://bot.example.com{public_path}"
        reason = verifier.check(public, list(request.headers.raw_items()))
        reasons.append(reason)
        if reason is not None:
            return connection.respond(403, reason + "\n")
        return None

    async def handler(ws):
        await ws.send("ok")

    async with serve(handler, "127.0.0.1", 0, process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]
        url = client_url(port) if callable(client_url) else client_url.format(port=port)
        try:
            async with connect(url, additional_headers=headers or {}) as ws:
                assert await ws.recv() == "ok"
                status = 101
        except InvalidStatus as exc:
            status = exc.response.status_code
    return status, reasons[0]


def test_exotel_credentials_in_the_url_reach_the_verifier():
    # No reserved character in the token: websockets < 17 (the newest for
    # Python 3.10) does not percent-decode a URL's user part, 17 does.
    verifier = BasicAuth("bot", "s3cret")
    def url(port, token="s3cret"):
        return exotel_answer.stream_url(f"ws://127.0.0.1:{port}/stream", api_key="bot",
                                        api_token=token)
    # the client library turns the URL's user part into Authorization: Basic
    assert asyncio.run(upgrade(verifier, url)) == (101, None)
    assert asyncio.run(upgrade(verifier, lambda port: url(port, "guess"))) == \
        (403, "Basic credentials do not match")
    assert asyncio.run(upgrade(verifier, "ws://127.0.0.1:{port}/stream")) == \
        (403, "missing Authorization header")


def test_twilio_signature_on_an_upgrade():
    token = "your-auth-token"
    good = signature(token, "wss://bot.example.com/stream")
    assert good == base64.b64encode(hmac.new(token.encode(), b"wss://bot.example.com/stream",
                                             hashlib.sha1).digest()).decode()
    verifier = SignatureAuth(token)
    assert asyncio.run(upgrade(verifier, "ws://127.0.0.1:{port}/stream",
                               headers={"X-Twilio-Signature": good})) == (101, None)
    assert asyncio.run(upgrade(verifier, "ws://127.0.0.1:{port}/stream", public_path="/other",
                               headers={"X-Twilio-Signature": good}))[0] == 403
    twice = [("X-Twilio-Signature", good), ("X-Twilio-Signature", good)]
    assert asyncio.run(upgrade(verifier, "ws://127.0.0.1:{port}/stream", headers=twice)) == \
        (403, "X-Twilio-Signature header sent 2 times")


def test_signalwire_bearer_on_an_upgrade():
    verifier = BearerTokenAuth("s3cret-token")
    ok = {"Authorization": "Bearer s3cret-token"}
    assert asyncio.run(upgrade(verifier, "ws://127.0.0.1:{port}/stream", headers=ok)) == (101, None)
    assert asyncio.run(upgrade(verifier, "ws://127.0.0.1:{port}/stream",
                               headers={"Authorization": "Bearer nope"})) == \
        (403, "bearer token does not match")
