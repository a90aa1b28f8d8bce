"""Proving that a WebSocket upgrade comes from SignalWire.

What SignalWire documents for its stream's upgrade request (cXML
``<Stream>``, section "WebSocket connection",
https://developer.signalwire.com/compatibility-api/cxml/voice/stream/):
an ``Authorization: Bearer <token>`` header carrying the stream's
``authBearerToken`` (SWML: ``authorization_bearer_token``).
:class:`BearerTokenAuth` checks it.

SignalWire also signs its HTTP webhooks with ``X-SignalWire-Signature``
(Twilio's scheme keyed with the project's signing key; ``X-Twilio-Signature``
is accepted as an alias; "Webhook security" guide).  Its pages do not say
that the stream's upgrade carries it, so :class:`SignatureAuth` is there for
a deployment that has seen it on the upgrade; the bearer token is the
documented way.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

from .._headerauth import AllOf, Headers, Verifier, authorization, equal, pairs, secrets
from ..twilio import auth as _twilio

__all__ = ["BearerTokenAuth", "SignatureAuth", "from_options"]


class BearerTokenAuth:
    """Checks ``Authorization: Bearer <token>`` on the WebSocket upgrade.

    Parameters
    ----------
    token : str or sequence of str
        The ``authBearerToken`` of the ``<Stream>`` (several while you
        rotate it).
    """

    def __init__(self, token: Union[str, Sequence[str]]):
        self._tokens = secrets(token, "token")
        for t in self._tokens:
            if any(c.isspace() for c in t):
                raise ValueError("token must not contain whitespace")

    def check(self, url: str, headers: Headers) -> Optional[str]:
        """``None`` when the bearer token is one of ours, else why not."""
        presented, reason = authorization(headers, "Bearer")
        if presented is None:
            return reason
        ok = False
        for token in self._tokens:
            ok |= equal(presented, token)
        return None if ok else "bearer token does not match"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<{len(self._tokens)} token(s)>)"


class SignatureAuth(_twilio.SignatureAuth):
    """Checks ``X-SignalWire-Signature`` (or its alias
    ``X-Twilio-Signature``) against the URL, keyed with the project's
    signing key; Twilio's scheme (:func:`streamcodec.twilio.auth.signature`).

    Parameters
    ----------
    signing_key : str or sequence of str
        The project's signing key (several while you rotate it).
    """

    header = "X-SignalWire-Signature"
    alias = _twilio.HEADER

    def __init__(self, signing_key: Union[str, Sequence[str]]):
        super().__init__(signing_key)

    def check(self, url: str, headers: Headers) -> Optional[str]:
        """``None`` when the signature matches ``url``, else why not."""
        given = pairs(headers)
        names = {k for k, _ in given}
        if self.header.lower() not in names and self.alias.lower() in names:
            given = [(self.header.lower() if k == self.alias.lower() else k, v)
                     for k, v in given]
        return super().check(url, given)


def from_options(bearer_token: Optional[Union[str, Sequence[str]]] = None,
                 signing_key: Optional[Union[str, Sequence[str]]] = None
                 ) -> Optional[Verifier]:
    """The verifier for the server's options (``--signalwire-bearer-token``,
    ``--signalwire-signing-key``): the bearer token, the signature, both
    (each must pass), or ``None`` when neither is configured."""
    verifiers: list[Verifier] = []
    if bearer_token:
        verifiers.append(BearerTokenAuth(bearer_token))
    if signing_key:
        verifiers.append(SignatureAuth(signing_key))
    if not verifiers:
        return None
    return verifiers[0] if len(verifiers) == 1 else AllOf(*verifiers)
