"""Proving that a WebSocket upgrade comes from Vonage.

A Voice API ``websocket`` endpoint with ``"authorization": {"type":
"vonage"}`` makes Vonage send ``Authorization: Bearer <JWT>`` on the
upgrade, the JWT of its signed webhooks (Vonage's SDK types for the
endpoint); Vonage signs those with HS256 keyed with the account's
signature secret ("Signed webhooks": "a JWT in the Authorization header
... signed with your signature secret").  :class:`JwtAuth` verifies the
signature (HS256 with the secret, or RS256 with a public key when you have
one), then the time claims (``exp``, ``nbf``, ``iat``) with a leeway, and
optionally that ``api_key`` / ``application_id`` are yours.

With ``"authorization": {"type": "custom", "value": ...}`` Vonage sends the
value verbatim; :class:`CustomAuthorizationAuth` compares it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any, Callable, Optional, Union

from .._headerauth import Headers, Verifier, authorization, equal, single_header

__all__ = ["CustomAuthorizationAuth", "JwtAuth", "from_options"]

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def _b64url(part: str) -> bytes:
    if not _B64URL.match(part) or len(part) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _load_public_key(pem: Union[str, bytes]) -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError as exc:              # pragma: no cover - depends on the install
        raise ImportError("RS256 verification needs the cryptography package "
                          "(pip install 'streamcodec[webhooks]')") from exc
    data = pem.encode("ascii") if isinstance(pem, str) else bytes(pem)
    try:
        key = load_pem_public_key(data)
    except ValueError as exc:
        raise ValueError(f"public_key is not a PEM public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("public_key must be an RSA public key (RS256)")
    return key


def _rs256_ok(key: Any, signed: bytes, sig: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    try:
        key.verify(sig, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _number(claims: dict[str, Any], name: str) -> Optional[float]:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"JWT claim {name} is not a number")
    return float(value)


class JwtAuth:
    """Verifies the Vonage-signed JWT in ``Authorization: Bearer``.

    Parameters
    ----------
    signature_secret : str or bytes, optional
        The account's signature secret: tokens signed HS256 with it pass.
    public_key : str or bytes, optional
        A PEM RSA public key: tokens signed RS256 with its private key
        pass (needs ``cryptography``).  One of the two is required.
    leeway : float
        Seconds of clock difference allowed on ``exp``, ``nbf`` and
        ``iat`` (default 60).
    max_age : float or None
        A token whose ``iat`` is older than this many seconds is refused
        (default 300; ``None``: no limit).  Vonage's webhook JWTs carry
        ``iat`` and no ``exp``; a token with neither is refused, as it would
        never expire.
    api_key, application_id : str, optional
        When given, the token's claim of the same name must equal it.
    clock : callable, optional
        Returns the time in Unix seconds (default ``time.time``).
    """

    def __init__(self, *, signature_secret: Optional[Union[str, bytes]] = None,
                 public_key: Optional[Union[str, bytes]] = None, leeway: float = 60.0,
                 max_age: Optional[float] = 300.0, api_key: Optional[str] = None,
                 application_id: Optional[str] = None,
                 clock: Callable[[], float] = time.time):
        if signature_secret is None and public_key is None:
            raise ValueError("give a signature_secret (HS256) or a public_key (RS256)")
        if signature_secret is not None:
            if not isinstance(signature_secret, (str, bytes)) or not signature_secret:
                raise ValueError("signature_secret must be a non-empty string or bytes")
        self._secret = (signature_secret.encode("utf-8") if isinstance(signature_secret, str)
                        else signature_secret)
        self._public_key = _load_public_key(public_key) if public_key is not None else None
        for what, value in (("leeway", leeway), ("max_age", max_age)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or value < 0):
                raise ValueError(f"{what} must be a number of seconds >= 0")
        self.leeway = float(leeway)
        self.max_age = None if max_age is None else float(max_age)
        self.expected = {k: v for k, v in (("api_key", api_key),
                                           ("application_id", application_id)) if v is not None}
        self.clock = clock

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The ``alg`` values accepted: HS256 with a secret, RS256 with a key."""
        return (("HS256",) if self._secret is not None else ()) + (
            ("RS256",) if self._public_key is not None else ())

    def check(self, url: str, headers: Headers) -> Optional[str]:
        """``None`` when the bearer JWT is Vonage's and current, else why not."""
        token, reason = authorization(headers, "Bearer")
        if token is None:
            return reason
        parts = token.split(".")
        if len(parts) != 3:
            return "malformed JWT (not three dot-separated parts)"
        try:
            header = json.loads(_b64url(parts[0]))
            sig = _b64url(parts[2])
        except ValueError:
            return "malformed JWT (its header or signature does not decode)"
        if not isinstance(header, dict):
            return "malformed JWT (its header is not a JSON object)"
        alg = header.get("alg")
        if alg not in self.algorithms:
            return f"JWT algorithm {alg!r} not accepted ({', '.join(self.algorithms)} expected)"
        if "crit" in header:
            return "JWT has critical header extensions this verifier does not know"
        signed = f"{parts[0]}.{parts[1]}".encode("ascii")
        if alg == "HS256":
            assert self._secret is not None
            ok = hmac.compare_digest(
                hmac.new(self._secret, signed, hashlib.sha256).digest(), sig)
        else:
            ok = _rs256_ok(self._public_key, signed, sig)
        if not ok:
            return "JWT signature does not match"
        try:
            claims = json.loads(_b64url(parts[1]))
            if not isinstance(claims, dict):
                return "malformed JWT (its claims are not a JSON object)"
            return self._check_claims(claims)
        except ValueError as exc:
            return str(exc) if str(exc).startswith("JWT") else "malformed JWT (claims)"

    def _check_claims(self, claims: dict[str, Any]) -> Optional[str]:
        now = self.clock()
        exp, nbf, iat = (_number(claims, n) for n in ("exp", "nbf", "iat"))
        if exp is None and iat is None:
            return "JWT has neither exp nor iat (it would never expire)"
        if exp is not None and now > exp + self.leeway:
            return f"JWT expired {now - exp:.0f} s ago"
        if nbf is not None and now < nbf - self.leeway:
            return f"JWT not valid for another {nbf - now:.0f} s"
        if iat is not None:
            if iat > now + self.leeway:
                return f"JWT issued {iat - now:.0f} s in the future"
            if self.max_age is not None and now - iat > self.max_age + self.leeway:
                return f"JWT issued {now - iat:.0f} s ago (max_age {self.max_age:g} s)"
        for name, value in self.expected.items():
            got = claims.get(name)
            if not isinstance(got, str) or not equal(got, value):
                return f"JWT {name} is not ours"
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(algorithms={self.algorithms})"


class CustomAuthorizationAuth:
    """Checks that ``Authorization`` is exactly the value set in the
    endpoint's ``"authorization": {"type": "custom", "value": ...}``.

    Parameters
    ----------
    value : str
        The whole header value, e.g. ``"Bearer abc123"``.
    """

    def __init__(self, value: str):
        if not isinstance(value, str) or not value.strip():
            raise ValueError("value must be a non-empty string")
        self._value = value.strip()

    def check(self, url: str, headers: Headers) -> Optional[str]:
        """``None`` when the header equals the value, else why not."""
        presented, reason = single_header(headers, "Authorization")
        if presented is None:
            return reason
        return None if equal(presented, self._value) else "Authorization does not match"


def from_options(signature_secret: Optional[str] = None, public_key: Optional[str] = None,
                 custom_authorization: Optional[str] = None, api_key: Optional[str] = None,
                 application_id: Optional[str] = None,
                 max_age: Optional[float] = 300.0) -> Optional[Verifier]:
    """The verifier for the server's options (``--vonage-signature-secret``,
    ``--vonage-public-key FILE-or-PEM``, ``--vonage-authorization VALUE``,
    ``--vonage-api-key``, ``--vonage-application-id``), or ``None`` when
    none is configured.  A ``public_key`` not starting with ``-----BEGIN``
    is read as a file name."""
    if custom_authorization and (signature_secret or public_key):
        raise ValueError("a custom Authorization value replaces Vonage's JWT: give one")
    if custom_authorization:
        return CustomAuthorizationAuth(custom_authorization)
    if not (signature_secret or public_key):
        return None
    pem = public_key or None
    if pem is not None and not pem.lstrip().startswith("-----BEGIN"):
        with open(pem, encoding="ascii") as f:
            pem = f.read()
    return JwtAuth(signature_secret=signature_secret or None, public_key=pem, api_key=api_key,
                   application_id=application_id, max_age=max_age)
