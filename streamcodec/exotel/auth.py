"""Proving that a WebSocket upgrade comes from Exotel: HTTP Basic auth.

Exotel's Stream and Voicebot applets authenticate by IP allow-listing or
by credentials in the URL, ``wss://API_KEY:API_TOKEN@host/path``, which
Exotel sends as ``Authorization: Basic base64(API_KEY:API_TOKEN)``
("Working with the Stream and Voicebot Applet",
https://developer.exotel.com/docs/agentstream/stream-voicebot-applet).
:func:`streamcodec.exotel.answer.stream_url` writes such a URL and
:class:`BasicAuth` checks the header.
"""

from __future__ import annotations

import base64
import binascii
from typing import Optional

from .._headerauth import Headers, authorization, equal

__all__ = ["BasicAuth", "from_options"]


class BasicAuth:
    """Checks ``Authorization: Basic base64(api_key:api_token)``.

    Parameters
    ----------
    api_key, api_token : str
        The credentials written in the applet's URL (the key may not hold
        ``:``, which separates the two).
    """

    def __init__(self, api_key: str, api_token: str):
        for what, value in (("api_key", api_key), ("api_token", api_token)):
            if not isinstance(value, str):
                raise TypeError(f"{what} must be a string, not {type(value).__name__}")
            if not value:
                raise ValueError(f"{what} must not be empty")
        if ":" in api_key:
            raise ValueError("api_key must not contain ':' (Basic auth splits on it)")
        self._expected = f"{api_key}:{api_token}"

    def check(self, url: str, headers: Headers) -> Optional[str]:
        """``None`` when the credentials match, else why not."""
        encoded, reason = authorization(headers, "Basic")
        if encoded is None:
            return reason
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return "Basic credentials are not base64 of UTF-8 text"
        if ":" not in decoded:
            return "Basic credentials lack the ':' between key and token"
        return None if equal(decoded, self._expected) else "Basic credentials do not match"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_key={self._expected.split(':', 1)[0]!r})"


def from_options(basic_auth: Optional[str] = None) -> Optional[BasicAuth]:
    """The verifier for the server's option ``--exotel-basic-auth
    KEY:TOKEN``, or ``None`` when it is not given."""
    if not basic_auth:
        return None
    if not isinstance(basic_auth, str) or ":" not in basic_auth:
        raise ValueError("basic_auth must be KEY:TOKEN")
    key, _, token = basic_auth.partition(":")
    return BasicAuth(key, token)
