"""Stream status webhooks: parse the ``statusCallback`` request and check its
Ed25519 signature.

Telnyx calls the ``statusCallback`` URL of a ``<Stream>`` when the stream
starts, stops or fails, with these fields::

    AccountSid CallSid CallSidLegacy StreamEvent StreamName StreamSid
    Timestamp StreamError

Telnyx's callback reference ("TeXML Stream" webhook) declares a
form-encoded POST body (a GET query string with
``statusCallbackMethod="GET"``), while its ``<Stream>`` verb page shows the
same callbacks as a JSON object; :func:`parse_status_callback` takes either.
``StreamEvent`` is ``stream-started``, ``stream-stopped``, or for a failure
``stream-failed`` (verb page) or ``stream-error`` (callback reference).

Each request carries ``telnyx-timestamp`` (Unix seconds) and
``telnyx-signature-ed25519`` (base64 Ed25519 signature of
``"{timestamp}|{raw body}"``) headers; :func:`verify_signature` checks them
against the account's public key.  Verification needs the ``cryptography``
package: ``pip install streamcodec[webhooks]``.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional, Union
from urllib.parse import parse_qsl

from .messages import ProtocolError

__all__ = [
    "ERROR",
    "FAILED",
    "STARTED",
    "STOPPED",
    "SignatureError",
    "StreamError",
    "StreamStatus",
    "parse_status_callback",
    "verify_signature",
]

#: StreamEvent values.  Telnyx's reference names a failure ``stream-failed``
#: in the TeXML verb page and ``stream-error`` in the callback schema; both
#: are failures here.
STARTED, STOPPED, FAILED, ERROR = "stream-started", "stream-stopped", "stream-failed", "stream-error"


class SignatureError(ValueError):
    """A webhook whose signature is missing, malformed, wrong, or whose
    timestamp is outside the tolerance (a possible replay)."""


@dataclass(frozen=True)
class StreamError:
    """Why a stream failed: the ``StreamError`` field.  Telnyx sends a short
    text; when that text is a JSON object, its ``code``, ``title`` and
    ``detail`` are filled in too."""

    message: str
    code: Optional[int] = None
    title: Optional[str] = None
    detail: Optional[str] = None


@dataclass(frozen=True)
class StreamStatus:
    """One stream status callback."""

    event: str
    """``stream-started``, ``stream-stopped``, ``stream-failed`` (or
    ``stream-error``); other values are passed through as they came."""
    stream_sid: Optional[str] = None
    stream_name: Optional[str] = None
    call_sid: Optional[str] = None
    call_sid_legacy: Optional[str] = None
    account_sid: Optional[str] = None
    timestamp: Optional[datetime] = None
    error: Optional[StreamError] = None
    raw: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def started(self) -> bool:
        return self.event == STARTED

    @property
    def stopped(self) -> bool:
        return self.event == STOPPED

    @property
    def failed(self) -> bool:
        return self.event in (FAILED, ERROR)


def _one_value(key: str, value: Any) -> Optional[str]:
    """One field's value as str; None when the field is to be left out."""
    if isinstance(value, (list, tuple)):           # a web framework's multi-dict
        if len(set(map(repr, value))) > 1:
            raise ProtocolError(f"field {key!r} has several different values: {value!r}")
        if not value:
            return None
        value = value[0]
    if value is None:                              # JSON null: the field is absent
        return None
    if isinstance(value, dict):                    # JSON object (e.g. StreamError): its text
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise ProtocolError(f"field {key!r} must be a string, got {type(value).__name__}")
    return value


def _mapping_fields(fields: Mapping[Any, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in fields.items():
        text = _one_value(str(key), value)
        if text is not None:
            out[str(key)] = text
    return out


def _fields(body_or_query: Union[str, bytes, bytearray, Mapping[str, Any]]) -> dict[str, str]:
    """Form/query text, a JSON object's text, or a mapping to one str value
    per name."""
    if isinstance(body_or_query, Mapping):
        return _mapping_fields(body_or_query)
    if isinstance(body_or_query, (bytes, bytearray)):
        try:
            body_or_query = bytes(body_or_query).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"callback body is not UTF-8: {exc}") from None
    if not isinstance(body_or_query, str):
        raise TypeError("body_or_query must be str, bytes or a mapping, "
                        f"not {type(body_or_query).__name__}")
    text = body_or_query.lstrip("\ufeff").strip()
    # A form body cannot start with "{" or "[" (form-encoding escapes them):
    # those are JSON.
    if text.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise ProtocolError(f"callback body is not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise ProtocolError("a JSON callback body must be a JSON object, "
                                f"not {type(parsed).__name__}")
        return _mapping_fields(parsed)
    if text.startswith("?"):
        text = text[1:]
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                          errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"callback is not form-encoded: {exc}") from None
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out and out[key] != value:
            raise ProtocolError(f"field {key!r} appears twice with different values")
        out[key] = value
    return out


def _stream_error(text: str) -> StreamError:
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        code = parsed.get("code")
        if isinstance(code, str) and code.lstrip("-").isdigit():
            code = int(code)
        title, detail = parsed.get("title"), parsed.get("detail")
        return StreamError(
            message=text,
            code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            title=title if isinstance(title, str) else None,
            detail=detail if isinstance(detail, str) else None)
    return StreamError(message=text)


def _timestamp(text: Optional[str]) -> Optional[datetime]:
    if text is None or text == "":
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(f"field 'Timestamp' is not an ISO 8601 date-time: {text!r}") from None


def parse_status_callback(body_or_query: Union[str, bytes, bytearray, Mapping[str, Any]]
                          ) -> StreamStatus:
    """Parse a stream status callback.

    Parameters
    ----------
    body_or_query : str, bytes or mapping
        The raw POST body, form-encoded or a JSON object (told apart by its
        first character); the GET query string (with or without a leading
        ``?``); or a mapping of the fields a web framework already parsed
        (form values may be one-element lists; a parsed JSON object works
        too).  JSON ``null`` counts as absent; a JSON object as a value
        (``StreamError``) is kept as its JSON text.

    Returns
    -------
    StreamStatus
        ``error`` is set when ``StreamError`` is present and not empty.

    Raises
    ------
    ProtocolError
        Neither form-encoded nor a JSON object, not UTF-8, ``StreamEvent``
        missing, a value that is not a string (JSON numbers and booleans
        included), a field repeated with different values, or a
        ``Timestamp`` that is not ISO 8601.
    """
    fields = _fields(body_or_query)
    event = fields.get("StreamEvent")
    if not event:
        raise ProtocolError("field 'StreamEvent' is missing")
    error_text = fields.get("StreamError")
    return StreamStatus(
        event=event,
        stream_sid=fields.get("StreamSid"),
        stream_name=fields.get("StreamName"),
        call_sid=fields.get("CallSid"),
        call_sid_legacy=fields.get("CallSidLegacy"),
        account_sid=fields.get("AccountSid"),
        timestamp=_timestamp(fields.get("Timestamp")),
        error=_stream_error(error_text) if error_text else None,
        raw=fields,
    )


def _load_crypto():
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise ImportError(
            "verifying Telnyx webhook signatures needs the 'cryptography' package; "
            "install it with: pip install 'streamcodec[webhooks]'") from None
    return Ed25519PublicKey, InvalidSignature


def _public_key(public_key: Any, key_class: Any) -> Any:
    if isinstance(public_key, key_class):
        return public_key
    if isinstance(public_key, str):
        try:
            raw = base64.b64decode(public_key.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("public_key must be the base64 Ed25519 public key Telnyx shows "
                             "in the portal; it is not valid base64") from None
    elif isinstance(public_key, (bytes, bytearray)):
        raw = bytes(public_key)
    else:
        raise TypeError("public_key must be a base64 str, 32 raw bytes or an Ed25519PublicKey, "
                        f"not {type(public_key).__name__}")
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes; got {len(raw)}")
    return key_class.from_public_bytes(raw)


def verify_signature(body: Union[str, bytes, bytearray], signature: Union[str, bytes, None],
                     timestamp: Union[str, int, bytes, None], public_key: Any,
                     tolerance: float = 300, now: Optional[float] = None) -> None:
    """Check a Telnyx webhook's Ed25519 signature; raise if it does not hold.

    Parameters
    ----------
    body : str or bytes
        The raw request body exactly as received, form-encoded or JSON (str
        is encoded as UTF-8); verify before parsing.
        For a GET callback, pass what Telnyx signed (the query string).
    signature : str or bytes
        The ``telnyx-signature-ed25519`` header (base64).
    timestamp : str or int
        The ``telnyx-timestamp`` header, Unix seconds.
    public_key : str, bytes or Ed25519PublicKey
        The account's public key as the Telnyx portal shows it (base64), or
        its 32 raw bytes.
    tolerance : float
        Largest accepted difference between ``timestamp`` and ``now``, in
        seconds, either way (default 300); older requests may be replays.
    now : float, optional
        Current Unix time; ``time.time()`` when omitted.

    Raises
    ------
    SignatureError
        Missing, malformed or wrong signature, missing or malformed
        timestamp, or a timestamp outside the tolerance.
    ImportError
        ``cryptography`` is not installed.
    ValueError, TypeError
        A malformed public key (a configuration error, not a bad request).
    """
    key_class, invalid = _load_crypto()
    key = _public_key(public_key, key_class)
    if signature is None or (isinstance(signature, (str, bytes)) and not signature.strip()):
        raise SignatureError("the telnyx-signature-ed25519 header is missing")
    if timestamp is None or (isinstance(timestamp, (str, bytes)) and not timestamp.strip()):
        raise SignatureError("the telnyx-timestamp header is missing")
    if isinstance(timestamp, bytes):
        timestamp = timestamp.decode("ascii", "replace")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (str, int)):
        raise SignatureError(f"telnyx-timestamp must be Unix seconds, got {timestamp!r}")
    ts_text = str(timestamp).strip()
    if not (ts_text.isascii() and ts_text.isdigit()) or len(ts_text) > 15:
        raise SignatureError(f"telnyx-timestamp must be Unix seconds, got {timestamp!r}")
    try:
        sig = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise SignatureError("the telnyx-signature-ed25519 header is not valid base64") from None
    if len(sig) != 64:
        raise SignatureError(f"an Ed25519 signature is 64 bytes; the header holds {len(sig)}")
    current = time.time() if now is None else now
    if abs(current - int(ts_text)) > tolerance:
        raise SignatureError(
            f"telnyx-timestamp {ts_text} is {abs(current - int(ts_text)):.0f} s from now; "
            f"more than the {tolerance} s tolerance (stale or replayed request)")
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif isinstance(body, bytearray):
        body = bytes(body)
    elif not isinstance(body, bytes):
        raise TypeError(f"body must be str or bytes, not {type(body).__name__}")
    try:
        key.verify(sig, ts_text.encode("ascii") + b"|" + body)
    except invalid:
        raise SignatureError("the webhook signature does not match its body and timestamp") \
            from None
