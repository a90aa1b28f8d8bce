"""The WebSocket URL an Exotel Stream or Voicebot applet is given.

Exotel starts a stream from its dashboard, not from a document: the
Stream applet (one way) or the Voicebot applet (both ways) of a call flow
holds the WebSocket URL.  That URL carries the rest of the set-up
(Exotel's "Working with the Stream and Voicebot Applet",
https://developer.exotel.com/docs/agentstream/stream-voicebot-applet):

- ``?sample-rate=8000|16000|24000``: the PCM rate both ways (8000 by
  default);
- up to three custom ``key=value`` query parameters (256 characters in
  all), which arrive in ``start.custom_parameters``;
- ``wss://API_KEY:API_TOKEN@host/path``: Exotel sends the credentials as
  ``Authorization: Basic base64(API_KEY:API_TOKEN)``, which
  :class:`streamcodec.exotel.auth.BasicAuth` checks.

::

    from streamcodec.exotel import answer
    answer.stream_url("wss://bot.example.com/media", sample_rate=16000,
                      parameters={"lang": "hi"}, api_key="key", api_token="token")
    # 'wss://key:token@bot.example.com/media?sample-rate=16000&lang=hi'
"""

from __future__ import annotations

from typing import Mapping, Optional, Union
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from .._xmlverbs import nonempty, rate as check_rate, text, url as check_url

__all__ = ["SAMPLE_RATES", "stream_url"]

#: The rates (Hz) the ``sample-rate`` query parameter takes.
SAMPLE_RATES = (8000, 16000, 24000)
MAX_PARAMETERS = 3
MAX_QUERY_CHARS = 256


def stream_url(url: str, *, sample_rate: Optional[int] = None,
               parameters: Optional[Mapping[str, Union[str, int]]] = None,
               api_key: Optional[str] = None, api_token: Optional[str] = None) -> str:
    """The URL to paste in the applet.

    Parameters
    ----------
    url : str
        ``wss://`` (or ``ws://``) URL of the WebSocket, without a query
        string or credentials.
    sample_rate : int, optional
        8000, 16000 or 24000: added as ``sample-rate``.
    parameters : mapping, optional
        At most three custom parameters; the query string stays within 256
        characters.
    api_key, api_token : str, optional
        Basic-auth credentials, both or neither; percent-encoded into the
        URL's user part.

    Raises
    ------
    ValueError
        For a URL that is not ``ws``/``wss`` or already has a query string
        or credentials, an unknown rate, too many parameters, a query over
        256 characters, or only one of ``api_key``/``api_token``.
    """
    check_url(url, ("wss", "ws"), "url", query=False)
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ValueError("url must not hold credentials; pass api_key and api_token")
    query: list[tuple[str, str]] = []
    if sample_rate is not None:
        query.append(("sample-rate", str(check_rate(sample_rate, SAMPLE_RATES, "sample_rate"))))
    if parameters is not None:
        if not isinstance(parameters, Mapping):
            raise TypeError(f"parameters must be a mapping, not {type(parameters).__name__}")
        if len(parameters) > MAX_PARAMETERS:
            raise ValueError(f"Exotel takes at most {MAX_PARAMETERS} custom parameters; "
                             f"got {len(parameters)}")
        for key, value in parameters.items():
            key = nonempty(key, "parameter name")
            if key == "sample-rate":
                raise ValueError("give the rate as sample_rate, not as a parameter")
            query.append((key, text(value, f"parameter {key!r}")))
    encoded = urlencode(query)
    if len(encoded) > MAX_QUERY_CHARS:
        raise ValueError(f"the query string is {len(encoded)} characters; Exotel takes at "
                         f"most {MAX_QUERY_CHARS}")
    netloc = parts.netloc
    if (api_key is None) != (api_token is None):
        raise ValueError("give both api_key and api_token, or neither")
    if api_key is not None:
        user = quote(nonempty(api_key, "api_key"), safe="")
        password = quote(nonempty(api_token, "api_token"), safe="")
        netloc = f"{user}:{password}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, encoded, ""))
