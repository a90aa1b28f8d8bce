"""Shared pieces of the XML answer documents (TeXML, TwiML, cXML, Plivo XML).

Every carrier that starts a media stream with an XML document builds it the
same way: a ``<Response>`` root, verbs holding a ``<Stream>``, attributes
checked against the carrier's allowed values and escaped.  This module holds
what they share: :class:`Element` (a tag, ordered attributes, children or
text, written indented), the value checks (:func:`choice`, :func:`rate`,
:func:`url`, :func:`text`), :class:`Parameter`, :class:`Response` and
:class:`StreamVerb`.  The carrier modules (``streamcodec.telnyx.texml``,
``streamcodec.twilio.answer``, ...) define their own ``<Stream>`` and verbs on
top of it; this module is private.
"""

from __future__ import annotations

import re
from typing import Any, Callable, ClassVar, Iterable, Mapping, Optional, Union
from urllib.parse import urlsplit

#: XML 1.0 forbids these characters even as references.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_INDENT = "  "
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _legal(value: str) -> str:
    bad = _XML_ILLEGAL.search(value)
    if bad:
        raise ValueError(f"character {bad.group()!r} cannot appear in an XML document")
    return value


def escape_attr(value: str) -> str:
    """Quote an attribute value for a double-quoted XML attribute; tabs and
    line breaks become character references so a parser keeps them."""
    return (_legal(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
            .replace("\r", "&#13;"))


def escape_text(value: str) -> str:
    """Escape element text (``&``, ``<``, ``>``; a carriage return becomes a
    reference so a parser does not fold it into a line feed)."""
    return (_legal(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


class Element:
    """One XML element: a tag, attributes in order, then child elements or
    text (not both).

    Subclasses validate their arguments; :meth:`to_xml` writes the element
    indented two spaces per level, an empty element as ``<Tag ... />``.
    """

    tag = ""

    def __init__(self, attributes: Optional[Iterable[tuple[str, str]]] = None,
                 children: Iterable["Element"] = (), text: Optional[str] = None):
        self.attributes: list[tuple[str, str]] = list(attributes or ())
        self.children: list[Element] = []
        self.text = text
        for child in children:
            self.append(child)

    def append(self, child: "Element") -> "Element":
        """Add a child element; returns self so calls chain."""
        if not isinstance(child, Element):
            raise TypeError(f"<{self.tag}> children must be elements, not {type(child).__name__}")
        if self.text is not None:
            raise ValueError(f"<{self.tag}> holds text; it cannot also hold elements")
        self.children.append(child)
        return self

    def _lines(self, depth: int) -> list[str]:
        attrs = "".join(f' {k}="{escape_attr(v)}"' for k, v in self.attributes)
        pad = _INDENT * depth
        if self.text is not None:
            return [f"{pad}<{self.tag}{attrs}>{escape_text(self.text)}</{self.tag}>"]
        if not self.children:
            return [f"{pad}<{self.tag}{attrs} />" if attrs else f"{pad}<{self.tag} />"]
        lines = [f"{pad}<{self.tag}{attrs}>"]
        for child in self.children:
            lines.extend(child._lines(depth + 1))
        lines.append(f"{pad}</{self.tag}>")
        return lines

    def to_xml(self) -> str:
        """This element and its children as indented XML (no declaration)."""
        return "\n".join(self._lines(0))

    def __str__(self) -> str:
        return self.to_xml()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_xml()!r}>"


def text(value: Any, what: str) -> str:
    """A string (numbers are written as text); anything else is a TypeError."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return str(value)


def nonempty(value: Any, what: str) -> str:
    """:func:`text` that refuses the empty string."""
    checked = text(value, what)
    if not checked:
        raise ValueError(f"{what} must not be empty")
    return checked


def choice(value: Any, allowed: Iterable[Any], what: str,
           fold: Callable[[str], str] = str.lower) -> Any:
    """Match value against allowed values (case-insensitive for strings);
    return the canonical spelling."""
    allowed = tuple(allowed)
    if isinstance(value, str):
        for option in allowed:
            if isinstance(option, str) and fold(option) == fold(value.strip()):
                return option
    elif not isinstance(value, bool):
        for option in allowed:
            if option == value:
                return option
    shown = ", ".join(str(a) for a in allowed)
    raise ValueError(f"{what} must be one of {shown}; got {value!r}")


def rate(value: Any, allowed: tuple[int, ...], what: str) -> int:
    """A rate in Hz from the allowed ones; a string of digits is taken too."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return int(choice(value, allowed, what))


def boolean(value: Any, what: str) -> str:
    """``True``/``False`` (or the strings ``"true"``/``"false"``) as the
    lowercase text XML attributes use."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(choice(value, ("true", "false"), what))


def url(value: Any, schemes: tuple[str, ...], what: str, *, query: bool = True) -> str:
    """An absolute URL with one of ``schemes``, no whitespace; with
    ``query=False`` a query string or fragment is refused too."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string URL, not {type(value).__name__}")
    try:
        parts = urlsplit(value)
        parts.port                          # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"{what} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in schemes or not parts.netloc or not parts.hostname:
        raise ValueError(f"{what} must be an absolute {' or '.join(schemes)} URL; got {value!r}")
    if any(c.isspace() for c in value):
        raise ValueError(f"{what} must not contain whitespace; got {value!r}")
    if not query and ("?" in value or "#" in value):
        raise ValueError(f"{what} must not have a query string or fragment (the carrier does "
                         f"not pass one on; send values as parameters instead); got {value!r}")
    return value


class Parameter(Element):
    """``<Parameter name value>``: a custom key-value pair the carrier
    delivers in the stream's ``start`` message."""

    tag = "Parameter"

    def __init__(self, name: str, value: Union[str, int, float]):
        name = nonempty(name, "Parameter name")
        super().__init__([("name", name), ("value", text(value, f"Parameter {name!r} value"))])


def status_callback(callback: Optional[str], method: Optional[str]) -> list[tuple[str, str]]:
    """The ``statusCallback`` and ``statusCallbackMethod`` attributes
    (TeXML, TwiML, cXML): an ``http(s)`` URL and ``GET``/``POST``, the
    method only with a URL."""
    attrs: list[tuple[str, str]] = []
    if callback is not None:
        attrs.append(("statusCallback", url(callback, ("http", "https"), "status_callback")))
    if method is not None:
        if callback is None:
            raise ValueError("status_callback_method needs a status_callback")
        attrs.append(("statusCallbackMethod",
                      choice(method, ("GET", "POST"), "status_callback_method")))
    return attrs


def parameters(values: Optional[Mapping[str, Union[str, int, float]]],
               kind: type[Parameter] = Parameter) -> list[Parameter]:
    """``<Parameter>`` children (of class ``kind``) from a mapping of name to
    value, in order."""
    if values is None:
        return []
    if not isinstance(values, Mapping):
        raise TypeError(
            f"parameters must be a mapping of name to value, not {type(values).__name__}")
    return [kind(k, v) for k, v in values.items()]


class Response(Element):
    """``<Response>``: the document's root; :meth:`document` gives the text
    with its XML declaration."""

    tag = "Response"

    def __init__(self, *verbs: Element):
        super().__init__(children=verbs)

    def document(self) -> str:
        """The whole document, starting with the XML declaration."""
        return DECLARATION + self.to_xml() + "\n"


class StreamVerb(Element):
    """A verb (``<Start>``, ``<Connect>``, ``<Stop>``) wrapping ``<Stream>``
    elements of the carrier's ``stream_type``; by default each needs a url."""

    stream_type: ClassVar[type] = Element
    max_streams: ClassVar[Optional[int]] = None

    def __init__(self, *streams: Element):
        if not streams:
            raise ValueError(f"<{self.tag}> needs a <Stream>")
        if self.max_streams is not None and len(streams) > self.max_streams:
            raise ValueError(f"<{self.tag}> holds at most {self.max_streams} <Stream>")
        for stream in streams:
            if not isinstance(stream, self.stream_type):
                raise TypeError(f"<{self.tag}> takes {self.stream_type.__module__}."
                                f"{self.stream_type.__name__} elements, not "
                                f"{type(stream).__name__}")
            self._check(stream)
        super().__init__(children=streams)

    def _check(self, stream: Element) -> None:
        if not any(k == "url" for k, _ in stream.attributes):
            raise ValueError(f"<Stream> inside <{self.tag}> needs a url")


class StopVerb(StreamVerb):
    """``<Stop>``: stop a stream started earlier, named by its ``name``."""

    tag = "Stop"

    def _check(self, stream: Element) -> None:
        if not any(k == "name" for k, _ in stream.attributes):
            raise ValueError("<Stream> inside <Stop> needs the name of the stream to stop")
