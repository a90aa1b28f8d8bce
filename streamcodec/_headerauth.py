"""What the carriers' upgrade-request verifiers share (private).

A verifier is any object with ``check(url, headers) -> Optional[str]``:
``None`` when the WebSocket upgrade request proves the caller, else a short
reason for the server's one log line (the server then closes with 1008).
``url`` is the full URL the carrier called, as the server is told it
publicly; ``headers`` the request's ``(name, value)`` pairs.  Header names
compare case-insensitively, and a credential header sent twice is refused:
two values leave it open which one a proxy or framework would have used.
"""

from __future__ import annotations

import hmac
from typing import Mapping, Optional, Protocol, Sequence, Union

Headers = Sequence[tuple[Union[str, bytes], Union[str, bytes]]]


class Verifier(Protocol):
    """The interface the server calls on each upgrade request."""

    def check(self, url: str, headers: Headers) -> Optional[str]:
        """``None`` when the request proves the caller, else a short reason."""
        ...


def _text(value: Union[str, bytes]) -> str:
    # HTTP header bytes are Latin-1 by the letter of RFC 7230.
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else value


def header_name(name: Union[str, bytes]) -> str:
    """A header name as compared: stripped, lower case."""
    return _text(name).strip().lower()


def pairs(headers: Headers) -> list[tuple[str, str]]:
    """The headers as ``(name as compared, value)`` text pairs; a mapping is
    refused, as it would hide a header sent twice."""
    if isinstance(headers, (Mapping, str, bytes)):
        raise TypeError("headers must be a sequence of (name, value) pairs: a mapping "
                        "would hide a header sent twice")
    return [(header_name(k), _text(v)) for k, v in headers]


def single_header(headers: Headers, name: str) -> tuple[Optional[str], Optional[str]]:
    """``(value, None)`` for a header present once, ``(None, reason)`` when
    it is missing or repeated; the value is stripped of surrounding space."""
    wanted = name.lower()
    values = [v.strip() for k, v in pairs(headers) if k == wanted]
    if not values:
        return None, f"missing {name} header"
    if len(values) > 1:
        return None, f"{name} header sent {len(values)} times"
    return values[0], None


def authorization(headers: Headers, scheme: str) -> tuple[Optional[str], Optional[str]]:
    """The credentials of an ``Authorization: <scheme> <credentials>``
    header (the scheme compared case-insensitively), or a reason."""
    value, reason = single_header(headers, "Authorization")
    if value is None:
        return None, reason
    got, _, credentials = value.partition(" ")
    if got.lower() != scheme.lower() or not credentials.strip():
        return None, f"Authorization is not {scheme} credentials"
    return credentials.strip(), None


def equal(presented: str, expected: str) -> bool:
    """Constant-time string equality (``hmac.compare_digest`` on UTF-8)."""
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))


def secrets(value: Union[str, Sequence[str]], what: str) -> tuple[str, ...]:
    """One secret or several (a rotation: the old and the new both pass),
    each a non-empty string."""
    items = (value,) if isinstance(value, str) else tuple(value)
    if not items:
        raise ValueError(f"{what} must not be empty")
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what} must be a string or a sequence of strings, "
                            f"not {type(item).__name__}")
        if not item:
            raise ValueError(f"{what} must not be empty")
    return items


class AllOf:
    """A verifier passing only when every one of ``verifiers`` passes; its
    reason is the first failure's."""

    def __init__(self, *verifiers: Verifier):
        if not verifiers:
            raise ValueError("AllOf needs at least one verifier")
        self.verifiers = verifiers

    def check(self, url: str, headers: Headers) -> Optional[str]:
        """The first reason any verifier gives, or ``None``."""
        for verifier in self.verifiers:
            reason = verifier.check(url, headers)
            if reason is not None:
                return reason
        return None
