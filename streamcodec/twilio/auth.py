"""Proving that a WebSocket upgrade comes from Twilio: ``X-Twilio-Signature``.

Twilio signs every request it makes, the Media Streams WebSocket upgrade
included, with the ``X-Twilio-Signature`` header: the base64 HMAC-SHA1,
keyed with the account's auth token, of the full URL it requested followed
by each POST parameter's name and value, sorted by name (Twilio's
"Webhooks security" page, https://www.twilio.com/docs/usage/webhooks/webhooks-security;
its Media Streams firewall page asks WebSocket servers to validate the
header).  An upgrade is a GET without a body, so the signed text is the URL
alone: ``wss://host/path`` as written in ``<Stream url>``, which allows no
query string.

::

    from streamcodec.twilio.auth import SignatureAuth
    verifier = SignatureAuth("your-auth-token")
    verifier.check("wss://example.com/stream", [("X-Twilio-Signature", "...")])

:class:`SignatureAuth` tries the URL as given and with the scheme's
default port added or removed (Twilio's SDKs do the same: which form
Twilio signs has varied); with a query string it also tries the form
Twilio's own agent SDK uses for WebSocket upgrades (the query's pairs
signed as parameters).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Mapping, Optional, Sequence, Union
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .._headerauth import Headers, equal, secrets, single_header

__all__ = ["SignatureAuth", "from_options", "signature"]

HEADER = "X-Twilio-Signature"
_DEFAULT_PORTS = {"https": 443, "wss": 443, "http": 80, "ws": 80}

Params = Mapping[str, Union[str, Sequence[str]]]


def signature(auth_token: str, url: str, params: Optional[Params] = None) -> str:
    """Twilio's request signature: base64 HMAC-SHA1 of ``url`` followed by
    each parameter's name and value, names sorted (a name with several
    values: each, sorted), keyed with ``auth_token``.

    Parameters
    ----------
    auth_token : str
        The account's auth token.
    url : str
        The full URL Twilio requested.
    params : mapping, optional
        The POST parameters (none for a WebSocket upgrade).

    Returns
    -------
    str
        The value ``X-Twilio-Signature`` carries.
    """
    text = url
    for name in sorted(params or {}):
        values = params[name] if params is not None else ()
        for value in sorted([values] if isinstance(values, str) else values):
            text += name + value
    mac = hmac.new(auth_token.encode("utf-8"), text.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def _candidates(url: str) -> list[tuple[str, Optional[Params]]]:
    """The (url, params) forms a signature of this upgrade may cover."""
    parts = urlsplit(url)
    forms = [parts]
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    userinfo, at, hostport = parts.netloc.rpartition("@")
    try:
        port = parts.port
    except ValueError:
        port = None
    # the host as written (Twilio signs it as configured, case and all)
    host = hostport[:hostport.rfind(":")] if port is not None else hostport
    if port is None and default is not None:
        forms.append(parts._replace(netloc=f"{userinfo}{at}{host}:{default}"))
    elif port is not None and port == default:
        forms.append(parts._replace(netloc=f"{userinfo}{at}{host}"))
    out: list[tuple[str, Optional[Params]]] = [(urlunsplit(f), None) for f in forms]
    if parts.query:
        query: dict[str, list[str]] = {}
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(k, []).append(v)
        out += [(urlunsplit(f._replace(query="")), query) for f in forms]
    return out


class SignatureAuth:
    """Checks ``X-Twilio-Signature`` on the WebSocket upgrade.

    Parameters
    ----------
    auth_token : str or sequence of str
        The account's auth token; several while you rotate it (Twilio's
        primary and secondary token both pass).

    Notes
    -----
    ``check(url, headers)`` needs ``url`` exactly as Twilio called it (the
    ``<Stream url>``), e.g. from the server's ``--public-url``: behind a
    proxy the URL the server sees is not the one Twilio signed.
    """

    header = HEADER

    def __init__(self, auth_token: Union[str, Sequence[str]]):
        self._tokens = secrets(auth_token, "auth_token")

    def check(self, url: str, headers: Headers) -> Optional[str]:
        """``None`` when the signature header matches ``url``, else why not."""
        presented, reason = single_header(headers, self.header)
        if presented is None:
            return reason
        if not isinstance(url, str) or not url:
            return "no URL to check the signature against"
        ok = False
        for token in self._tokens:
            for form, params in _candidates(url):
                ok |= equal(presented, signature(token, form, params))
        return None if ok else f"{self.header} does not match the URL"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<{len(self._tokens)} token(s)>)"


def from_options(auth_token: Optional[Union[str, Sequence[str]]] = None
                 ) -> Optional[SignatureAuth]:
    """The verifier for the server's options (``--twilio-auth-token``), or
    ``None`` when none is configured (then nothing is checked)."""
    if auth_token is None or auth_token == "":
        return None
    return SignatureAuth(auth_token)
