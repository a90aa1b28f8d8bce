"""Call Control streaming fields: the JSON a dial, answer or
``actions/streaming_start`` command carries to start a media stream.

Call Control apps start a stream with the ``stream_*`` fields of three
commands: ``POST /v2/calls`` (dial), ``POST /v2/calls/{id}/actions/answer``
and ``POST /v2/calls/{id}/actions/streaming_start``.  :func:`streaming_params`
builds and checks those fields and returns a plain dict; sending it is left to
whatever HTTP client the app uses::

    from streamcodec.telnyx import call_control
    body = call_control.streaming_params(
        "wss://example.com/stream", bidirectional_mode="rtp",
        bidirectional_codec="OPUS", bidirectional_sampling_rate=16000)
    httpx.post(f"https://api.telnyx.com/v2/calls/{call_control_id}/actions/streaming_start",
               json=body, headers={"Authorization": f"Bearer {api_key}"})

Where the names and values come from (checked 2026-12): Telnyx's API
reference page "Start streaming" (developers.telnyx.com, api-reference
call-commands/streaming-start) and the request types its OpenAPI spec
generates in Telnyx's SDKs (telnyx-python 4.164 ``ActionStartStreamingParams``,
``ActionAnswerParams``, ``CallDialParams`` and the ``StreamCodec``,
``StreamBidirectionalCodec``, ``StreamBidirectionalSamplingRate``,
``StreamBidirectionalTargetLegs`` literals; telnyx-node has the same):

- ``stream_track``: inbound_track (default), outbound_track, both_tracks.
- ``stream_codec``: PCMU, PCMA, G722, OPUS, AMR-WB, L16, default (default:
  the call's codec; "when transcoding is not possible, the codec from the
  call will be used").
- ``stream_bidirectional_mode``: mp3 (default), rtp.
- ``stream_bidirectional_codec``: PCMU (default), PCMA, G722, OPUS, AMR-WB,
  L16; "used only with stream_bidirectional_mode=rtp. Case sensitive."
- ``stream_bidirectional_sampling_rate``: 8000 (default), 16000, 22050, 24000,
  48000, an integer.
- ``stream_bidirectional_target_legs``: both, self, opposite ("which call legs
  should receive the bidirectional stream audio"; Telnyx's CLI, generated
  from the same spec, shows opposite as the default).
- ``stream_auth_token``: "sent as part of the WebSocket connection", at most
  4000 characters.
- ``custom_parameters`` (streaming_start only): a list of ``{"name", "value"}``
  objects delivered in the ``start`` frame.

The three commands do not take the same fields.  Telnyx's answer schema has
no ``stream_bidirectional_sampling_rate``, ``stream_auth_token`` or
``custom_parameters``, and dial has no ``custom_parameters``;
``command="answer"``/``"dial"`` refuses those instead of sending fields
Telnyx may ignore (answer, then ``streaming_start``, takes them all).  Where
the docs are silent, this module says so:

- They do not say what a sampling rate other than the codec's own does to
  G.711 (8 kHz audio) or G.722 and AMR-WB (16 kHz): any codec is accepted
  with any listed rate, as the schema lists them separately; pair PCMU/PCMA
  with 8000 and G722/AMR-WB with 16000 to match what
  :class:`~streamcodec.telnyx.MediaStream` encodes (OPUS and L16 take any).
- They do not tie the sampling rate to rtp mode; this builder does (as the
  TeXML builder does), since an MP3 file carries its own rate.
- They do not say whether L16 playback is big- or little-endian (RFC 3551
  says network order).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from .texml import TRACKS, _choice, _rate, _rtp_only, _text, _url

__all__ = [
    "BIDIRECTIONAL_CODECS",
    "BIDIRECTIONAL_MODES",
    "BIDIRECTIONAL_RATES",
    "COMMANDS",
    "STREAM_CODECS",
    "TARGET_LEGS",
    "TRACKS",
    "streaming_params",
]

#: Values of ``stream_codec``.
STREAM_CODECS = ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16", "default")
#: Values of ``stream_bidirectional_mode``.
BIDIRECTIONAL_MODES = ("mp3", "rtp")
#: Values of ``stream_bidirectional_codec``.
BIDIRECTIONAL_CODECS = ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16")
#: Values of ``stream_bidirectional_sampling_rate``, Hz.
BIDIRECTIONAL_RATES = (8000, 16000, 22050, 24000, 48000)
#: Values of ``stream_bidirectional_target_legs``.
TARGET_LEGS = ("both", "self", "opposite")
#: The Call Control commands that take these fields.
COMMANDS = ("dial", "answer", "streaming_start")
#: The stream_auth_token limit of Telnyx's schema.
MAX_AUTH_TOKEN = 4000

#: Fields a command's published schema does not have.
_NOT_IN = {
    "dial": ("custom_parameters",),
    "answer": ("stream_bidirectional_sampling_rate", "stream_auth_token", "custom_parameters"),
    "streaming_start": (),
}


def streaming_params(url: str, *, track: Optional[str] = None, codec: Optional[str] = None,
                     bidirectional_mode: Optional[str] = None,
                     bidirectional_codec: Optional[str] = None,
                     bidirectional_sampling_rate: Union[int, str, None] = None,
                     bidirectional_target_legs: Optional[str] = None,
                     auth_token: Optional[str] = None,
                     custom_parameters: Optional[Mapping[str, Union[str, int, float]]] = None,
                     command: str = "streaming_start") -> dict[str, Any]:
    """The ``stream_*`` fields of a Call Control command, checked.

    Only the fields given are written (Telnyx's defaults apply to the
    rest); merge the dict into the command's JSON body.

    Parameters
    ----------
    url : str
        ``stream_url``: the ``ws://`` or ``wss://`` address Telnyx connects to.
    track : str, optional
        ``stream_track``: ``inbound_track`` (Telnyx default),
        ``outbound_track`` or ``both_tracks``.
    codec : str, optional
        ``stream_codec``: ``PCMU PCMA G722 OPUS AMR-WB L16 default``.
    bidirectional_mode : str, optional
        ``stream_bidirectional_mode``: ``mp3`` (Telnyx default) or ``rtp``.
    bidirectional_codec : str, optional
        ``stream_bidirectional_codec``: ``PCMU`` (default) ``PCMA G722 OPUS
        AMR-WB L16``; only with ``bidirectional_mode="rtp"``.
    bidirectional_sampling_rate : int, optional
        ``stream_bidirectional_sampling_rate``: 8000 (default), 16000, 22050,
        24000 or 48000; only with ``bidirectional_mode="rtp"``.
    bidirectional_target_legs : str, optional
        ``stream_bidirectional_target_legs``: ``both``, ``self`` or
        ``opposite``: which legs hear the audio sent back.
    auth_token : str, optional
        ``stream_auth_token``: 1 to 4000 characters; Telnyx presents it in the
        ``connected`` frame and the ``x-telnyx-streaming-auth-token`` header
        (``StreamServer(auth_token=...)`` and ``serve --auth-token`` check it).
    custom_parameters : mapping, optional
        ``custom_parameters`` (streaming_start only): name -> value, sent as
        ``[{"name": ..., "value": ...}]`` and delivered in
        ``start.custom_parameters``.
    command : str
        ``streaming_start`` (default), ``answer`` or ``dial``: the command the
        fields are for; refuses fields that command's schema lacks.

    Returns
    -------
    dict
        JSON-ready fields, in the schema's order; the sampling rate is an int.

    Raises
    ------
    ValueError
        A value Telnyx does not list (the message names the field and the
        allowed values), a bidirectional codec or rate without
        ``bidirectional_mode="rtp"``, or a field the command does not take.
    TypeError
        A value of the wrong type.
    """
    command = _choice(command, COMMANDS, "command")
    out: dict[str, Any] = {"stream_url": _url(url, ("ws", "wss"), "stream_url")}
    if track is not None:
        out["stream_track"] = _choice(track, TRACKS, "stream_track")
    if codec is not None:
        out["stream_codec"] = _choice(codec, STREAM_CODECS, "stream_codec")
    mode = None
    if bidirectional_mode is not None:
        mode = _choice(bidirectional_mode, BIDIRECTIONAL_MODES, "stream_bidirectional_mode")
        out["stream_bidirectional_mode"] = mode
    _rtp_only(mode, bidirectional_mode, "stream_bidirectional_mode",
              (("stream_bidirectional_codec", bidirectional_codec),
               ("stream_bidirectional_sampling_rate", bidirectional_sampling_rate)))
    if bidirectional_codec is not None:
        out["stream_bidirectional_codec"] = _choice(
            bidirectional_codec, BIDIRECTIONAL_CODECS, "stream_bidirectional_codec")
    if bidirectional_sampling_rate is not None:
        out["stream_bidirectional_sampling_rate"] = _rate(
            bidirectional_sampling_rate, BIDIRECTIONAL_RATES,
            "stream_bidirectional_sampling_rate")
    if bidirectional_target_legs is not None:
        out["stream_bidirectional_target_legs"] = _choice(
            bidirectional_target_legs, TARGET_LEGS, "stream_bidirectional_target_legs")
    if auth_token is not None:
        if not isinstance(auth_token, str):
            raise TypeError(f"stream_auth_token must be a string, not {type(auth_token).__name__}")
        if not auth_token:
            raise ValueError("stream_auth_token must not be empty")
        if len(auth_token) > MAX_AUTH_TOKEN:
            raise ValueError(f"stream_auth_token is at most {MAX_AUTH_TOKEN} characters; "
                             f"got {len(auth_token)}")
        out["stream_auth_token"] = auth_token
    if custom_parameters is not None:
        if not isinstance(custom_parameters, Mapping):
            raise TypeError("custom_parameters must be a mapping of name to value, "
                            f"not {type(custom_parameters).__name__}")
        listed = []
        for name, value in custom_parameters.items():
            name = _text(name, "custom parameter name")
            if not name:
                raise ValueError("custom parameter name must not be empty")
            listed.append({"name": name,
                           "value": _text(value, f"custom parameter {name!r} value")})
        out["custom_parameters"] = listed
    for key in _NOT_IN[command]:
        if key in out:
            raise ValueError(
                f"{key} is not a field of Telnyx's {command} command; leave it out there "
                f"and send it with actions/streaming_start once the call is up "
                f"(command='streaming_start')")
    return out
