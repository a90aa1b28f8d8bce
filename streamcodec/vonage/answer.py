"""NCCOs that connect a Vonage Voice API call to a WebSocket.

Vonage asks the application's answer URL for an NCCO (a JSON list of
actions); a ``connect`` action to a ``websocket`` endpoint makes the
WebSocket a participant of the call, with raw 16-bit PCM both ways at the
rate its ``content-type`` names::

    from streamcodec.vonage import answer
    answer.connect_websocket("wss://example.com/socket", rate=16000,
                             headers={"customer": "42"}, authorization="vonage")

:func:`websocket_endpoint`, :func:`connect` and :func:`talk` build the
pieces (plain dicts) and :func:`ncco` writes the document.  Reference:
Vonage's NCCO reference and its "Connect to a WebSocket" tutorial
(https://developer.vonage.com/en/tutorials/connect-to-a-websocket/);
the ``authorization`` option of the websocket endpoint is described in
Vonage's SDK types (``vonage``: Vonage puts the JWT of its signed webhooks
in ``Authorization: Bearer``, checked by
:class:`streamcodec.vonage.auth.JwtAuth`; ``custom``: a header value of
your own).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from .._xmlverbs import choice, nonempty, url as check_url

__all__ = ["RATES", "connect", "connect_websocket", "content_type", "ncco", "talk",
           "websocket_endpoint"]

#: The rates (Hz) of a websocket endpoint's ``audio/l16`` content type.
RATES = (8000, 16000, 24000)
METHODS = ("GET", "POST")


def content_type(rate: int) -> str:
    """``audio/l16;rate=<rate>`` for one of :data:`RATES`."""
    if isinstance(rate, bool) or not isinstance(rate, int) or rate not in RATES:
        raise ValueError(f"rate must be one of {', '.join(map(str, RATES))}; got {rate!r}")
    return f"audio/l16;rate={rate}"


def _json_value(value: Any, what: str) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be JSON (strings, numbers, lists, objects): {exc}") \
            from None


def websocket_endpoint(uri: str, *, rate: int = 16000,
                       headers: Optional[Mapping[str, Any]] = None,
                       authorization: Optional[str] = None,
                       custom_authorization: Optional[str] = None) -> dict[str, Any]:
    """A ``websocket`` endpoint of a ``connect`` action.

    Parameters
    ----------
    uri : str
        ``wss://`` URL of the WebSocket (Vonage requires TLS).
    rate : int
        8000, 16000 (default) or 24000: the PCM rate both ways
        (``content-type: audio/l16;rate=<rate>``).
    headers : mapping, optional
        Metadata Vonage repeats in its first text message
        (``websocket:connected``), as JSON.
    authorization : str, optional
        ``"vonage"``: Vonage sends ``Authorization: Bearer <JWT>``, the JWT
        of its signed webhooks.
    custom_authorization : str, optional
        A header value of your own, sent verbatim as ``Authorization``
        (not with ``authorization``).
    """
    endpoint: dict[str, Any] = {"type": "websocket",
                                "uri": check_url(uri, ("wss",), "uri"),
                                "content-type": content_type(rate)}
    if headers is not None:
        if not isinstance(headers, Mapping):
            raise TypeError(f"headers must be a mapping, not {type(headers).__name__}")
        for key in headers:
            nonempty(key if isinstance(key, str) else None, "header name")
        _json_value(dict(headers), "headers")
        endpoint["headers"] = dict(headers)
    if authorization is not None and custom_authorization is not None:
        raise ValueError("give authorization='vonage' or custom_authorization, not both")
    if authorization is not None:
        endpoint["authorization"] = {"type": choice(authorization, ("vonage",),
                                                    "authorization")}
    if custom_authorization is not None:
        value = nonempty(custom_authorization, "custom_authorization")
        if "\r" in value or "\n" in value:
            raise ValueError("custom_authorization must be one header line")
        endpoint["authorization"] = {"type": "custom", "value": value}
    return endpoint


def connect(endpoint: Mapping[str, Any], *, from_: Optional[str] = None,
            event_url: Optional[Union[str, Sequence[str]]] = None,
            event_method: Optional[str] = None, event_type: Optional[str] = None,
            timeout: Optional[int] = None, limit: Optional[int] = None) -> dict[str, Any]:
    """A ``connect`` action to one endpoint (e.g. :func:`websocket_endpoint`).

    Parameters
    ----------
    endpoint : mapping
        The endpoint object.
    from_ : str, optional
        The caller ID (``from``) for the leg.
    event_url : str or list of str, optional
        ``http(s)://`` URL(s) for the leg's events.
    event_method : str, optional
        ``GET`` or ``POST``; only with ``event_url``.
    event_type : str, optional
        ``"synchronous"``: the NCCO waits for the event URL's answer.
    timeout : int, optional
        Seconds to wait for the endpoint to answer (1..120).
    limit : int, optional
        Longest the leg may last, in seconds (1..7200).
    """
    if not isinstance(endpoint, Mapping) or "type" not in endpoint:
        raise TypeError("endpoint must be an endpoint object (a mapping with a 'type')")
    action: dict[str, Any] = {"action": "connect"}
    if from_ is not None:
        action["from"] = nonempty(from_, "from_")
    action["endpoint"] = [dict(endpoint)]
    if event_url is not None:
        urls = [event_url] if isinstance(event_url, str) else list(event_url)
        if not urls:
            raise ValueError("event_url must name at least one URL")
        action["eventUrl"] = [check_url(u, ("http", "https"), "event_url") for u in urls]
    if event_method is not None:
        if event_url is None:
            raise ValueError("event_method needs an event_url")
        action["eventMethod"] = choice(event_method, METHODS, "event_method")
    if event_type is not None:
        action["eventType"] = choice(event_type, ("synchronous",), "event_type")
    for key, value, high in (("timeout", timeout, 120), ("limit", limit, 7200)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise ValueError(f"{key} must be an integer 1..{high}; got {value!r}")
        action[key] = value
    return action


def talk(text: str, *, language: Optional[str] = None,
         barge_in: Optional[bool] = None) -> dict[str, Any]:
    """A ``talk`` action: Vonage speaks ``text`` (in ``language``, e.g.
    ``"en-GB"``); ``barge_in`` lets the caller's input cut it short."""
    action: dict[str, Any] = {"action": "talk", "text": nonempty(text, "text")}
    if language is not None:
        action["language"] = nonempty(language, "language")
    if barge_in is not None:
        if not isinstance(barge_in, bool):
            raise TypeError("barge_in must be True or False")
        action["bargeIn"] = barge_in
    return action


def ncco(*actions: Mapping[str, Any]) -> str:
    """The NCCO document (JSON) of the actions, in order."""
    if not actions:
        raise ValueError("an NCCO needs at least one action")
    for action in actions:
        if not isinstance(action, Mapping) or "action" not in action:
            raise TypeError("each action must be a mapping with an 'action' key")
    _json_value([dict(a) for a in actions], "the NCCO")
    return json.dumps([dict(a) for a in actions])


def connect_websocket(uri: str, *, rate: int = 16000,
                      headers: Optional[Mapping[str, Any]] = None,
                      authorization: Optional[str] = None,
                      custom_authorization: Optional[str] = None,
                      before: Iterable[Mapping[str, Any]] = (), **connect_options: Any) -> str:
    """An NCCO that runs the actions in ``before`` (e.g. :func:`talk`),
    then connects the call to the WebSocket at ``uri``.

    Keywords: those of :func:`websocket_endpoint` and of :func:`connect`
    (``from_``, ``event_url``, ``event_method``, ``event_type``,
    ``timeout``, ``limit``).
    """
    endpoint = websocket_endpoint(uri, rate=rate, headers=headers, authorization=authorization,
                                  custom_authorization=custom_authorization)
    return ncco(*before, connect(endpoint, **connect_options))
