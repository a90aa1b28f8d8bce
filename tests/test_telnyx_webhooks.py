"""Stream status callbacks and Ed25519 webhook signatures (signed here with
a locally generated key)."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from streamcodec.telnyx import ProtocolError, webhooks

FIELDS = {
    "AccountSid": "f5586561-8ff0-4291-a51b-c7dfe4139ff9",
    "CallSid": "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",
    "CallSidLegacy": "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",
    "StreamEvent": "stream-started",
    "StreamName": "my stream",
    "StreamSid": "stream-abc123",
    "Timestamp": "2023-09-06T09:05:14.080710Z",
}


def test_post_body_started():
    body = urlencode(FIELDS).encode()
    st = webhooks.parse_status_callback(body)
    assert st.event == "stream-started" and st.started and not st.failed and not st.stopped
    assert st.stream_sid == "stream-abc123" and st.stream_name == "my stream"
    assert st.call_sid == FIELDS["CallSid"] and st.call_sid_legacy == FIELDS["CallSidLegacy"]
    assert st.account_sid == FIELDS["AccountSid"]
    assert st.timestamp == datetime(2023, 9, 6, 9, 5, 14, 80710, tzinfo=timezone.utc)
    assert st.error is None


def test_get_query_stopped_and_mapping():
    q = "?" + urlencode(dict(FIELDS, StreamEvent="stream-stopped"))
    st = webhooks.parse_status_callback(q)
    assert st.stopped and st.stream_sid == "stream-abc123"
    multi = {k: [v] for k, v in FIELDS.items()}
    assert webhooks.parse_status_callback(multi) == webhooks.parse_status_callback(urlencode(FIELDS))


def test_failed_with_error():
    st = webhooks.parse_status_callback(urlencode(dict(FIELDS, StreamEvent="stream-failed",
                                                       StreamError="Connection timeout")))
    assert st.failed and st.error == webhooks.StreamError("Connection timeout")
    st = webhooks.parse_status_callback(urlencode(dict(
        FIELDS, StreamEvent="stream-error",
        StreamError='{"code":"90046","title":"WebSocket failed","detail":"HTTP 403"}')))
    assert st.failed
    assert (st.error.code, st.error.title, st.error.detail) == (90046, "WebSocket failed", "HTTP 403")


def test_unknown_event_passes_through():
    st = webhooks.parse_status_callback("StreamEvent=stream-paused&StreamSid=x")
    assert st.event == "stream-paused" and not (st.started or st.stopped or st.failed)


@pytest.mark.parametrize("data, match", [
    ("StreamSid=x", "'StreamEvent' is missing"),
    ("StreamEvent=", "'StreamEvent' is missing"),
    ("StreamEvent=stream-started&Timestamp=yesterday", "'Timestamp'"),
    ("StreamEvent=a&StreamEvent=b", "twice"),
    ({"StreamEvent": ["a", "b"]}, "several"),
    ({"StreamEvent": 3}, "must be a string"),
    ("a=1&&&&b", "not form-encoded"),
    (b"StreamEvent=\xff", "UTF-8"),
])
def test_bad_callbacks(data, match):
    with pytest.raises(ProtocolError, match=match):
        webhooks.parse_status_callback(data)


@pytest.fixture(scope="module")
def keys():
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return private, base64.b64encode(raw).decode()


def sign(private, timestamp, body: bytes) -> str:
    return base64.b64encode(private.sign(f"{timestamp}|".encode() + body)).decode()


def test_signature_good(keys):
    private, public = keys
    body = urlencode(FIELDS).encode()
    sig = sign(private, 1700000000, body)
    assert webhooks.verify_signature(body, sig, "1700000000", public, now=1700000100) is None
    # str body, int timestamp, raw-bytes key, edge of the tolerance
    raw_key = base64.b64decode(public)
    webhooks.verify_signature(body.decode(), sig, 1700000000, raw_key, now=1700000300)
    webhooks.verify_signature(body, sig, "1700000000", public, tolerance=10, now=1699999990)


def test_signature_bad(keys):
    private, public = keys
    body = urlencode(FIELDS).encode()
    sig = sign(private, 1700000000, body)
    now = 1700000001
    cases = [
        (body + b"&x=1", sig, "1700000000", "does not match"),     # body changed
        (body, sig, "1700000001", "does not match"),               # timestamp changed
        (body, sign(Ed25519PrivateKey.generate(), 1700000000, body), "1700000000", "does not match"),
        (body, None, "1700000000", "signature-ed25519 header is missing"),
        (body, "", "1700000000", "missing"),
        (body, sig, None, "timestamp header is missing"),
        (body, sig, "17e8", "Unix seconds"),
        (body, "not base64!", "1700000000", "not valid base64"),
        (body, base64.b64encode(b"x" * 10).decode(), "1700000000", "64 bytes"),
    ]
    for b, s, ts, match in cases:
        with pytest.raises(webhooks.SignatureError, match=match):
            webhooks.verify_signature(b, s, ts, public, now=now)
    with pytest.raises(webhooks.SignatureError, match="tolerance"):
        webhooks.verify_signature(body, sig, "1700000000", public, now=1700000301)
    with pytest.raises(webhooks.SignatureError, match="tolerance"):
        webhooks.verify_signature(body, sig, "1700000000", public, now=1699999000)


def test_signature_uses_clock(keys):
    import time
    private, public = keys
    ts = int(time.time())
    webhooks.verify_signature(b"a=b", sign(private, ts, b"a=b"), ts, public)
    with pytest.raises(webhooks.SignatureError, match="stale"):
        webhooks.verify_signature(b"a=b", sign(private, ts - 3600, b"a=b"), ts - 3600, public)


def test_bad_public_key():
    with pytest.raises(ValueError, match="base64"):
        webhooks.verify_signature(b"", "AA==", "1", "%%%")
    with pytest.raises(ValueError, match="32 bytes"):
        webhooks.verify_signature(b"", "AA==", "1", base64.b64encode(b"short").decode())
    with pytest.raises(TypeError):
        webhooks.verify_signature(b"", "AA==", "1", 12345)


def test_missing_cryptography_message(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("cryptography"):
            raise ImportError("no cryptography")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"streamcodec\[webhooks\]"):
        webhooks.verify_signature(b"", "AA==", "1", "AA==")


# ------------------------------------------------------------- JSON bodies
# The TeXML <Stream> page shows the callbacks as JSON objects; the callback
# reference page declares application/x-www-form-urlencoded.  Both arrive.

JSON_STARTED = b"""{
    "CallSid": "v2:7V3r4VFCGLTzKLOveE0-7vM9dX17-NRQgU1byo-uuOIX9JcDadLLKw",
    "Timestamp": "2023-09-06T09:05:14.080710Z",
    "AccountSid": "19a75cea-02c6-4b9a-84fa-c9bc8341feb8",
    "StreamName": "stream name",
    "StreamEvent": "stream-started",
    "StreamSid": "a4bd5e41-5d8c-4ab8-8edb-fe1d8ea3d2f8"
}"""


def test_json_body_started():
    st = webhooks.parse_status_callback(JSON_STARTED)
    assert st.event == "stream-started" and st.started and not st.failed
    assert st.call_sid == "v2:7V3r4VFCGLTzKLOveE0-7vM9dX17-NRQgU1byo-uuOIX9JcDadLLKw"
    assert st.account_sid == "19a75cea-02c6-4b9a-84fa-c9bc8341feb8"
    assert st.stream_name == "stream name"
    assert st.stream_sid == "a4bd5e41-5d8c-4ab8-8edb-fe1d8ea3d2f8"
    assert st.call_sid_legacy is None and st.error is None
    assert st.timestamp == datetime(2023, 9, 6, 9, 5, 14, 80710, tzinfo=timezone.utc)
    # the same callback as str, and the same fields form-encoded, parse alike
    assert webhooks.parse_status_callback(JSON_STARTED.decode()) == st
    import json as _json
    assert webhooks.parse_status_callback(urlencode(_json.loads(JSON_STARTED))) == st


@pytest.mark.parametrize("event, started, stopped, failed", [
    ("stream-started", True, False, False),
    ("stream-stopped", False, True, False),
    ("stream-failed", False, False, True),
    ("stream-error", False, False, True),
])
def test_every_stream_event_both_encodings(event, started, stopped, failed):
    import json as _json
    fields = dict(FIELDS, StreamEvent=event)
    if failed:
        fields["StreamError"] = "Connection timeout"
    for body in (urlencode(fields).encode(), _json.dumps(fields).encode()):
        st = webhooks.parse_status_callback(body)
        assert st.event == event
        assert (st.started, st.stopped, st.failed) == (started, stopped, failed)
        assert st.error == (webhooks.StreamError("Connection timeout") if failed else None)
        assert st.raw == fields
    assert (webhooks.STARTED, webhooks.STOPPED, webhooks.FAILED, webhooks.ERROR) == (
        "stream-started", "stream-stopped", "stream-failed", "stream-error")


def test_json_error_object_and_null():
    import json as _json
    body = _json.dumps({"StreamEvent": "stream-error", "StreamSid": "s", "StreamName": None,
                        "StreamError": {"code": 90046, "title": "WebSocket failed",
                                        "detail": "HTTP 403"}})
    st = webhooks.parse_status_callback(body)
    assert st.failed and st.stream_name is None and "StreamName" not in st.raw
    assert (st.error.code, st.error.title, st.error.detail) == (90046, "WebSocket failed",
                                                                "HTTP 403")
    assert _json.loads(st.error.message) == {"code": 90046, "title": "WebSocket failed",
                                             "detail": "HTTP 403"}
    # a mapping a framework made from the same JSON (request.json()) parses alike
    assert webhooks.parse_status_callback(_json.loads(body)) == st
    # leading whitespace and a UTF-8 byte order mark do not hide the JSON
    assert webhooks.parse_status_callback(b"\xef\xbb\xbf \n" + body.encode()) == st


@pytest.mark.parametrize("body, match", [
    (b'{"StreamEvent": "stream-started"', "not valid JSON"),
    (b'{"StreamEvent": 3}', "must be a string"),
    (b'{"StreamEvent": true}', "must be a string"),
    (b'{"StreamSid": "x"}', "'StreamEvent' is missing"),
    (b'{"StreamEvent": null}', "'StreamEvent' is missing"),
    (b'{"StreamEvent": "stream-started", "Timestamp": "noon"}', "'Timestamp'"),
    (b'["StreamEvent", "stream-started"]', "JSON object"),
    (b'{"StreamEvent": "\xff"}', "UTF-8"),
])
def test_bad_json_bodies(body, match):
    with pytest.raises(ProtocolError, match=match):
        webhooks.parse_status_callback(body)


def test_signature_over_raw_json_and_form_bodies(keys):
    """The signature covers the raw bytes, whatever the encoding: verify the
    body as received, then parse it."""
    import json as _json
    private, public = keys
    ts = 1700000000
    form = urlencode(dict(FIELDS, StreamEvent="stream-stopped")).encode()
    as_json = _json.dumps(dict(FIELDS, StreamEvent="stream-stopped"), indent=2).encode()
    for body in (form, as_json):
        sig = sign(private, ts, body)
        webhooks.verify_signature(body, sig, str(ts), public, now=ts + 5)
        assert webhooks.parse_status_callback(body).stopped
        # the same fields re-serialised are other bytes: the signature no longer holds
        other = _json.dumps(_json.loads(as_json)).encode() if body is as_json else \
            urlencode(list(dict(FIELDS, StreamEvent="stream-stopped").items())[::-1]).encode()
        assert other != body
        with pytest.raises(webhooks.SignatureError, match="does not match"):
            webhooks.verify_signature(other, sig, str(ts), public, now=ts + 5)
