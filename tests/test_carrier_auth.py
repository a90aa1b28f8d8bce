"""The upgrade-request verifiers of Twilio, SignalWire, Exotel and Vonage:
documented vectors, good, bad, missing and duplicated credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from streamcodec.exotel import auth as exotel
from streamcodec.signalwire import auth as signalwire
from streamcodec.twilio import auth as twilio
from streamcodec.vonage import auth as vonage

URL = "wss://example.com/stream"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hmac_sha1_b64(key: str, text: str) -> str:
    return b64(hmac.new(key.encode(), text.encode(), hashlib.sha1).digest())


# ---------------------------------------------------------------------------
# Twilio
# ---------------------------------------------------------------------------

def test_twilio_documented_signature_example():
    # Twilio's request-validation example (twilio-php "Validate Incoming
    # Requests", echoed by Twilio's security docs and every Twilio SDK's
    # tests): auth token 12345, this URL and these POST parameters.
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio.signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio.signature("12345", url, {**params, "Digits": "1235"}) != \
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    # the signed text, spelled out: URL, then name+value sorted by name
    text = url + "".join(k + params[k] for k in sorted(params))
    assert hmac_sha1_b64("12345", text) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilio_repeated_parameter_values_sort():
    assert twilio.signature("k", "https://h/x", {"D": ["2", "1"], "A": "z"}) == \
        hmac_sha1_b64("k", "https://h/xAzD1D2")


def test_twilio_upgrade_signature_is_over_the_url_alone():
    verifier = twilio.SignatureAuth("token")
    good = hmac_sha1_b64("token", URL)
    assert verifier.check(URL, [("X-Twilio-Signature", good)]) is None
    assert verifier.check(URL, [("x-twilio-signature", good)]) is None      # any case
    assert verifier.check(URL, [(b"X-Twilio-Signature", good.encode())]) is None
    assert verifier.check(URL, [("Host", "example.com"), ("X-Twilio-Signature", f" {good} ")]) \
        is None
    # bad: another token, another URL, another path, garbage
    assert verifier.check(URL, [("X-Twilio-Signature", hmac_sha1_b64("other", URL))]) == \
        "X-Twilio-Signature does not match the URL"
    assert verifier.check("wss://example.com/other", [("X-Twilio-Signature", good)]) is not None
    assert verifier.check("wss://evil.example/stream", [("X-Twilio-Signature", good)]) is not None
    assert verifier.check(URL, [("X-Twilio-Signature", "")]) is not None
    # missing, and present twice (even twice the good value)
    assert verifier.check(URL, []) == "missing X-Twilio-Signature header"
    assert verifier.check(URL, [("Authorization", good)]) == "missing X-Twilio-Signature header"
    assert verifier.check(URL, [("X-Twilio-Signature", good), ("x-twilio-signature", good)]) \
        == "X-Twilio-Signature header sent 2 times"


def test_headers_must_keep_repeats():
    # a mapping would have folded a header sent twice into one
    for verifier in (twilio.SignatureAuth("t"), signalwire.BearerTokenAuth("t"),
                     signalwire.SignatureAuth("k"),
                     exotel.BasicAuth("k", "t"), vonage.JwtAuth(signature_secret="s")):
        with pytest.raises(TypeError, match="mapping"):
            verifier.check(URL, {"Authorization": "Bearer t"})


def test_twilio_default_port_either_way():
    verifier = twilio.SignatureAuth("token")
    with_port = hmac_sha1_b64("token", "wss://example.com:443/stream")
    assert verifier.check(URL, [("X-Twilio-Signature", with_port)]) is None
    assert verifier.check("wss://example.com:443/stream",
                          [("X-Twilio-Signature", hmac_sha1_b64("token", URL))]) is None
    # a port that is not the default one is part of what was signed
    assert verifier.check("wss://example.com:8443/stream",
                          [("X-Twilio-Signature", hmac_sha1_b64("token", URL))]) is not None
    assert verifier.check("ws://example.com/s",
                          [("X-Twilio-Signature", hmac_sha1_b64("token", "ws://example.com:80/s"))
                           ]) is None


def test_twilio_host_as_written():
    # Twilio signs the URL as configured: a mixed-case host stays so, with or
    # without its default port (twilio-csharp's "MixedCase" tests).
    verifier = twilio.SignatureAuth("token")
    url = "wss://MyCompany.example/stream"
    sig = hmac_sha1_b64("token", "wss://MyCompany.example:443/stream")
    assert verifier.check(url, [("X-Twilio-Signature", sig)]) is None
    assert verifier.check("wss://mycompany.example/stream", [("X-Twilio-Signature", sig)]) \
        is not None
    ipv6 = hmac_sha1_b64("token", "wss://[::1]/s")
    assert verifier.check("wss://[::1]:443/s", [("X-Twilio-Signature", ipv6)]) is None
    assert verifier.check("wss://h:notaport/s", [("X-Twilio-Signature", ipv6)]) is not None


def test_twilio_query_string_forms():
    verifier = twilio.SignatureAuth("token")
    url = "wss://example.com/ws?token=abc&foo=bar"
    as_url = hmac_sha1_b64("token", url)
    as_params = twilio.signature("token", "wss://example.com/ws", {"token": "abc", "foo": "bar"})
    for sig in (as_url, as_params):
        assert verifier.check(url, [("X-Twilio-Signature", sig)]) is None
    assert verifier.check("wss://example.com/ws?token=abd&foo=bar",
                          [("X-Twilio-Signature", as_params)]) is not None


def test_twilio_rotation_and_options():
    verifier = twilio.SignatureAuth(["old", "new"])
    for token in ("old", "new"):
        assert verifier.check(URL, [("X-Twilio-Signature", hmac_sha1_b64(token, URL))]) is None
    assert "old" not in repr(verifier)
    assert twilio.from_options() is None and twilio.from_options("") is None
    assert isinstance(twilio.from_options("t"), twilio.SignatureAuth)
    with pytest.raises(ValueError):
        twilio.SignatureAuth("")
    with pytest.raises(TypeError):
        twilio.SignatureAuth([b"bytes"])        # type: ignore[list-item]


# ---------------------------------------------------------------------------
# SignalWire
# ---------------------------------------------------------------------------

def test_signalwire_bearer_token():
    # cXML <Stream>, "WebSocket connection": Authorization "Bearer token_here"
    # when authBearerToken is set.
    verifier = signalwire.BearerTokenAuth("token_here")
    assert verifier.check(URL, [("Authorization", "Bearer token_here")]) is None
    assert verifier.check(URL, [("authorization", "bearer   token_here ")]) is None
    assert verifier.check(URL, [("Authorization", "Bearer token_her")]) == \
        "bearer token does not match"
    assert verifier.check(URL, [("Authorization", "Basic token_here")]) == \
        "Authorization is not Bearer credentials"
    assert verifier.check(URL, [("Authorization", "Bearer")]) == \
        "Authorization is not Bearer credentials"
    assert verifier.check(URL, []) == "missing Authorization header"
    assert verifier.check(URL, [("Authorization", "Bearer token_here"),
                                ("Authorization", "Bearer token_here")]) == \
        "Authorization header sent 2 times"
    assert signalwire.BearerTokenAuth(["a", "b"]).check(URL, [("Authorization", "Bearer b")]) \
        is None
    with pytest.raises(ValueError, match="whitespace"):
        signalwire.BearerTokenAuth("a b")


def test_signalwire_signature_and_alias():
    verifier = signalwire.SignatureAuth("PSK_key")
    good = hmac_sha1_b64("PSK_key", URL)
    assert verifier.check(URL, [("X-SignalWire-Signature", good)]) is None
    assert verifier.check(URL, [("X-Twilio-Signature", good)]) is None        # the alias
    assert verifier.check(URL, [("X-SignalWire-Signature", "bad"), ("X-Twilio-Signature", good)]
                          ) == "X-SignalWire-Signature does not match the URL"
    assert verifier.check(URL, []) == "missing X-SignalWire-Signature header"
    assert verifier.check(URL, [("X-Twilio-Signature", good), ("X-Twilio-Signature", good)]) \
        == "X-SignalWire-Signature header sent 2 times"


def test_signalwire_options():
    assert signalwire.from_options() is None
    assert isinstance(signalwire.from_options(bearer_token="t"), signalwire.BearerTokenAuth)
    both = signalwire.from_options(bearer_token="t", signing_key="k")
    headers = [("Authorization", "Bearer t"), ("X-SignalWire-Signature", hmac_sha1_b64("k", URL))]
    assert both.check(URL, headers) is None
    assert both.check(URL, headers[:1]) == "missing X-SignalWire-Signature header"
    assert both.check(URL, headers[1:]) == "missing Authorization header"


# ---------------------------------------------------------------------------
# Exotel
# ---------------------------------------------------------------------------

def test_exotel_basic_auth():
    # RFC 7617 section 2's example credentials and header value.
    verifier = exotel.BasicAuth("Aladdin", "open sesame")
    assert verifier.check(URL, [("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")]) is None
    # Exotel's form: Authorization: Basic base64(API_KEY:API_TOKEN)
    verifier = exotel.BasicAuth("key", "to:ken")
    header = "Basic " + b64(b"key:to:ken")
    assert verifier.check(URL, [("AUTHORIZATION", header)]) is None
    for value, reason in [
        ("Basic " + b64(b"key:token"), "Basic credentials do not match"),
        ("Basic " + b64(b"other:to:ken"), "Basic credentials do not match"),
        ("Basic " + b64(b"keyto:ken"), "Basic credentials do not match"),
        ("Basic " + b64(b"no colon"), "Basic credentials lack the ':' between key and token"),
        ("Basic !!!!", "Basic credentials are not base64 of UTF-8 text"),
        ("Basic " + b64(b"\xff\xfe:x"), "Basic credentials are not base64 of UTF-8 text"),
        ("Bearer " + b64(b"key:to:ken"), "Authorization is not Basic credentials"),
    ]:
        assert verifier.check(URL, [("Authorization", value)]) == reason
    assert verifier.check(URL, []) == "missing Authorization header"
    assert verifier.check(URL, [("Authorization", header)] * 2) == \
        "Authorization header sent 2 times"
    with pytest.raises(ValueError, match="':'"):
        exotel.BasicAuth("a:b", "c")
    assert exotel.from_options() is None
    assert exotel.from_options("key:to:ken").check(URL, [("Authorization", header)]) is None
    with pytest.raises(ValueError, match="KEY:TOKEN"):
        exotel.from_options("nocolon")


def test_exotel_url_credentials_round_trip():
    from urllib.parse import unquote, urlsplit

    from streamcodec.exotel.answer import stream_url
    url = stream_url("wss://h/m", api_key="k@y", api_token="p:ss/word")
    parts = urlsplit(url)
    # what a client (Exotel) sends for wss://user:pass@host: Basic of the
    # percent-decoded user and password
    header = "Basic " + b64(f"{unquote(parts.username)}:{unquote(parts.password)}".encode())
    assert exotel.BasicAuth("k@y", "p:ss/word").check(url, [("Authorization", header)]) is None


# ---------------------------------------------------------------------------
# Vonage
# ---------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims, secret: bytes = b"secret", alg: str = "HS256", header=None) -> str:
    head = b64url(json.dumps(header or {"alg": alg, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


NOW = 1_800_000_000.0
VONAGE_CLAIMS = {"iat": int(NOW) - 5, "jti": "0a1b2c3d", "iss": "Vonage",
                 "api_key": "abcd1234", "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}


def bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")]


def test_vonage_rfc7515_hs256_example():
    # RFC 7515 appendix A.1 (JWS using HMAC SHA-256): the key as a JWK "k",
    # the compact serialization; its claims carry exp 1300819380.
    key = base64.urlsafe_b64decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0"
                                   "iPS4hcgUuTwjAzZr1Z9CAow==")
    token = ("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
             ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290"
             "Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    verifier = vonage.JwtAuth(signature_secret=key, clock=lambda: 1300819380 - 100)
    assert verifier.check(URL, bearer(token)) is None
    late = vonage.JwtAuth(signature_secret=key, clock=lambda: 1300819380 + 61)
    assert late.check(URL, bearer(token)) == "JWT expired 61 s ago"
    within = vonage.JwtAuth(signature_secret=key, clock=lambda: 1300819380 + 59)
    assert within.check(URL, bearer(token)) is None
    other = vonage.JwtAuth(signature_secret=key[:-1], clock=lambda: 1300819380 - 100)
    assert other.check(URL, bearer(token)) == "JWT signature does not match"


def test_vonage_hs256_signed_webhook_shape():
    verifier = vonage.JwtAuth(signature_secret="secret", clock=lambda: NOW, api_key="abcd1234")
    good = make_jwt(VONAGE_CLAIMS)
    assert verifier.check(URL, bearer(good)) is None
    assert verifier.check(URL, [("authorization", "bearer " + good)]) is None
    cases = {
        make_jwt(VONAGE_CLAIMS, secret=b"wrong"): "JWT signature does not match",
        make_jwt({**VONAGE_CLAIMS, "api_key": "other"}): "JWT api_key is not ours",
        make_jwt({**VONAGE_CLAIMS, "iat": NOW + 120}): "JWT issued 120 s in the future",
        make_jwt({**VONAGE_CLAIMS, "iat": NOW - 400}): "JWT issued 400 s ago (max_age 300 s)",
        make_jwt({**VONAGE_CLAIMS, "exp": NOW - 100}): "JWT expired 100 s ago",
        make_jwt({**VONAGE_CLAIMS, "nbf": NOW + 100}): "JWT not valid for another 100 s",
        make_jwt({"jti": "x"}): "JWT has neither exp nor iat (it would never expire)",
        make_jwt({**VONAGE_CLAIMS, "iat": "yesterday"}): "JWT claim iat is not a number",
        make_jwt(VONAGE_CLAIMS, alg="none"): "JWT algorithm 'none' not accepted (HS256 expected)",
        make_jwt(VONAGE_CLAIMS, alg="RS256"): "JWT algorithm 'RS256' not accepted (HS256 expected)",
        make_jwt(VONAGE_CLAIMS, header={"alg": "HS256", "crit": ["x"]}):
            "JWT has critical header extensions this verifier does not know",
        make_jwt([1, 2]): "malformed JWT (its claims are not a JSON object)",
        "a.b": "malformed JWT (not three dot-separated parts)",
        "***.e30.abc": "malformed JWT (its header or signature does not decode)",
        b64url(b"[1]") + ".e30.": "malformed JWT (its header is not a JSON object)",
    }
    for token, reason in cases.items():
        assert verifier.check(URL, bearer(token)) == reason, token
    # tampering with the claims after signing
    head, body, sig = good.split(".")
    forged = b64url(json.dumps({**VONAGE_CLAIMS, "api_key": "abcd1234", "iat": NOW}).encode())
    assert verifier.check(URL, bearer(f"{head}.{forged}.{sig}")) == "JWT signature does not match"
    # the header: missing, twice, another scheme
    assert verifier.check(URL, []) == "missing Authorization header"
    assert verifier.check(URL, bearer(good) * 2) == "Authorization header sent 2 times"
    assert verifier.check(URL, [("Authorization", "Basic " + good)]) == \
        "Authorization is not Bearer credentials"
    # no age limit
    forever = vonage.JwtAuth(signature_secret="secret", clock=lambda: NOW, max_age=None)
    assert forever.check(URL, bearer(make_jwt({**VONAGE_CLAIMS, "iat": NOW - 10**6}))) is None


def test_vonage_rs256():
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)

    def rs256(claims, signer=key):
        head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
        body = b64url(json.dumps(claims).encode())
        sig = signer.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64url(sig)}"

    verifier = vonage.JwtAuth(public_key=pem.decode(), clock=lambda: NOW)
    assert verifier.algorithms == ("RS256",)
    assert verifier.check(URL, bearer(rs256(VONAGE_CLAIMS))) is None
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert verifier.check(URL, bearer(rs256(VONAGE_CLAIMS, other))) == \
        "JWT signature does not match"
    # algorithm confusion: an HS256 token keyed with the public key's PEM
    assert verifier.check(URL, bearer(make_jwt(VONAGE_CLAIMS, secret=pem))).startswith(
        "JWT algorithm 'HS256' not accepted")
    both = vonage.JwtAuth(public_key=pem, signature_secret="s", clock=lambda: NOW)
    assert both.check(URL, bearer(make_jwt(VONAGE_CLAIMS, secret=b"s"))) is None
    assert both.check(URL, bearer(rs256(VONAGE_CLAIMS))) is None
    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ValueError, match="RSA"):
        vonage.JwtAuth(public_key=ec_pem)
    with pytest.raises(ValueError, match="PEM"):
        vonage.JwtAuth(public_key="-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----")


def test_vonage_options(tmp_path):
    with pytest.raises(ValueError, match="signature_secret"):
        vonage.JwtAuth()
    assert vonage.from_options() is None
    assert isinstance(vonage.from_options(signature_secret="s"), vonage.JwtAuth)
    custom = vonage.from_options(custom_authorization="ApiKey X9Z")
    assert custom.check(URL, [("Authorization", "ApiKey X9Z")]) is None
    assert custom.check(URL, [("Authorization", "ApiKey X9")]) == "Authorization does not match"
    assert custom.check(URL, [("Authorization", "ApiKey X9Z")] * 2) == \
        "Authorization header sent 2 times"
    with pytest.raises(ValueError, match="give one"):
        vonage.from_options(signature_secret="s", custom_authorization="x")
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path = tmp_path / "vonage.pub"
    path.write_bytes(pem)
    assert vonage.from_options(public_key=str(path)).algorithms == ("RS256",)
    assert vonage.from_options(public_key=pem.decode()).algorithms == ("RS256",)
