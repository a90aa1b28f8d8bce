"""The documents that start a stream, for Twilio, SignalWire, Plivo, Vonage
and Exotel: each carrier's documented examples reproduced (the source is
quoted above each), every attribute, validation and escaping."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from streamcodec.exotel import answer as exotel
from streamcodec.plivo import answer as plivo
from streamcodec.signalwire import answer as signalwire
from streamcodec.twilio import answer as twilio
from streamcodec.vonage import answer as vonage


def same_xml(a: str, b: str) -> bool:
    """Equal as XML: C14N with whitespace-only text dropped, attributes in
    canonical order (the carriers' pages print them in no fixed order)."""
    def canon(text):
        body = text.split("?>", 1)[1] if text.lstrip().startswith("<?xml") else text
        return ET.canonicalize(body, strip_text=True)
    return canon(a) == canon(b)


# ---------------------------------------------------------------------------
# Twilio
# ---------------------------------------------------------------------------

# https://www.twilio.com/docs/voice/twiml/stream, "The following is an
# example of <Start><Stream>" (the Node.js sample's printed output).
TWILIO_START = """<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Start>
<Stream name="Example Audio Stream" url="wss://example.com/audiostream" />
</Start>
<Say>The stream has started.</Say>
</Response>"""

# Same page, "The following is an example of <Connect><Stream>": the sample
# `connect.stream({ url: 'wss://example.com/audiostream' }); response.say(
# 'This TwiML instruction is unreachable unless the Stream is ended by your
# WebSocket server.')` prints this document.
TWILIO_CONNECT = """<?xml version="1.0" encoding="UTF-8"?>
<Response><Connect><Stream url="wss://example.com/audiostream"/></Connect><Say>This TwiML \
instruction is unreachable unless the Stream is ended by your WebSocket server.</Say></Response>"""


def test_twilio_documented_start_example():
    doc = twilio.start_stream("wss://example.com/audiostream", name="Example Audio Stream",
                              after=[twilio.Say("The stream has started.")])
    assert same_xml(doc, TWILIO_START)
    assert doc.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Start>\n')


def test_twilio_documented_connect_example():
    doc = twilio.connect_stream("wss://example.com/audiostream", after=[twilio.Say(
        "This TwiML instruction is unreachable unless the Stream is ended by your "
        "WebSocket server.")])
    assert same_xml(doc, TWILIO_CONNECT)
    assert not same_xml(doc, TWILIO_START)        # the comparison can fail


def test_twilio_every_attribute_and_parameters():
    doc = twilio.start_stream("wss://h.example/tap", name="tap", track="BOTH_TRACKS",
                              status_callback="https://h.example/cb",
                              status_callback_method="get",
                              parameters={"customer": "42", "n": 5})
    stream = ET.fromstring(doc.encode())[0][0]
    assert stream.attrib == {"url": "wss://h.example/tap", "name": "tap",
                             "track": "both_tracks", "statusCallback": "https://h.example/cb",
                             "statusCallbackMethod": "GET"}
    assert [(p.tag, p.attrib) for p in stream] == [
        ("Parameter", {"name": "customer", "value": "42"}),
        ("Parameter", {"name": "n", "value": "5"})]
    assert ET.fromstring(twilio.stop_stream("tap").encode())[0][0].attrib == {"name": "tap"}


@pytest.mark.parametrize("kwargs, match", [
    (dict(url="ws://h/s"), "wss"),
    (dict(url="https://h/s"), "wss"),
    (dict(url="wss://h/s?token=1"), "query string"),
    (dict(url="wss://h/s#x"), "query string"),
    (dict(url="wss://h/a b"), "whitespace"),
    (dict(url="wss://h", track="both"), "track must be one of"),
    (dict(url="wss://h", status_callback="wss://x"), "http or https"),
    (dict(url="wss://h", status_callback_method="GET"), "needs a status_callback"),
    (dict(url="wss://h", name=""), "empty"),
    (dict(url="wss://h", parameters={"": "x"}), "empty"),
    (dict(url="wss://h", name="x\x00"), "cannot appear"),
])
def test_twilio_validation(kwargs, match):
    url = kwargs.pop("url")
    with pytest.raises(ValueError, match=match):
        twilio.start_stream(url, **kwargs)


def test_twilio_connect_takes_one_inbound_stream():
    with pytest.raises(ValueError, match="31941"):
        twilio.connect_stream("wss://h/s", track="both_tracks")
    assert "inbound_track" in twilio.connect_stream("wss://h/s", track="inbound_track")
    with pytest.raises(ValueError, match="at most 1"):
        twilio.Connect(twilio.Stream("wss://a/1"), twilio.Stream("wss://b/2"))
    with pytest.raises(TypeError):
        twilio.Start(twilio.Parameter("a", "b"))
    with pytest.raises(ValueError, match="needs the name"):
        twilio.Stop(twilio.Stream("wss://h/s"))
    with pytest.raises(TypeError):
        twilio.start_stream("wss://h/s", codec="PCMU")     # not a Twilio attribute


def test_escaping_round_trips():
    nasty = 'a<b>&"c\'\t\nd\r'
    doc = twilio.start_stream("wss://h/s", name=nasty, parameters={"k&": nasty},
                              after=[twilio.Say(nasty)])
    root = ET.fromstring(doc.encode())
    assert root[0][0].get("name") == nasty
    assert root[0][0][0].get("value") == nasty
    assert root[1].text == nasty


# ---------------------------------------------------------------------------
# SignalWire
# ---------------------------------------------------------------------------

# https://developer.signalwire.com/compatibility-api/cxml/voice/stream/ ,
# "An example on how to use Stream".
SIGNALWIRE_START = """<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Start>
     <Stream url="wss://your-application.com/audiostream" />
  </Start>
</Response>"""

# Same page, "Custom parameters".
SIGNALWIRE_PARAMETERS = """<?xml version="1.0" encoding="UTF-8"?>
<Response>
   <Start>
     <Stream url="wss://your-application.com/audiostream" >
        <Parameter name="Cookie" value ="948f9938-299a-d43e-0df4-af3a7eccb0ac"/>
        <Parameter name="Type" value ="SIP" />
      </Stream>
    </Start>
</Response>"""

# Same page, "Bidirectional stream" and "Starting and stopping streams"
# (fragments there; wrapped in <Response> here).
SIGNALWIRE_CONNECT = """<Response><Connect>
    <Stream url="wss://mystream.ngrok.io/audiostream" />
</Connect></Response>"""
SIGNALWIRE_NAMED = """<Response><Start>
    <Stream name="mystream" url="wss://mystream.ngrok.io/audiostream" />
</Start></Response>"""
SIGNALWIRE_STOP = """<Response><Stop>
   <Stream name="mystream" />
</Stop></Response>"""


def test_signalwire_documented_examples():
    assert same_xml(signalwire.start_stream("wss://your-application.com/audiostream"),
                    SIGNALWIRE_START)
    assert same_xml(signalwire.start_stream(
        "wss://your-application.com/audiostream",
        parameters={"Cookie": "948f9938-299a-d43e-0df4-af3a7eccb0ac", "Type": "SIP"}),
        SIGNALWIRE_PARAMETERS)
    assert same_xml(signalwire.connect_stream("wss://mystream.ngrok.io/audiostream"),
                    SIGNALWIRE_CONNECT)
    assert same_xml(signalwire.start_stream("wss://mystream.ngrok.io/audiostream",
                                            name="mystream"), SIGNALWIRE_NAMED)
    assert same_xml(signalwire.stop_stream("mystream"), SIGNALWIRE_STOP)


def test_signalwire_codec_token_realtime():
    doc = signalwire.connect_stream("wss://h/bot", codec="l16@16000h", auth_bearer_token="s3cret",
                                    realtime=True, name="bot", status_callback="https://h/cb")
    stream = ET.fromstring(doc.encode())[0][0]
    assert stream.attrib == {"url": "wss://h/bot", "authBearerToken": "s3cret",
                             "codec": "L16@16000h", "realtime": "true", "name": "bot",
                             "statusCallback": "https://h/cb"}
    # attribute order: url first, then SignalWire's own, then Twilio's
    assert list(stream.attrib)[:3] == ["url", "authBearerToken", "codec"]


@pytest.mark.parametrize("codec, written", [
    ("PCMU", "PCMU"), ("PCMU@8000h", "PCMU@8000h"), ("pcma", "PCMA"), ("G722", "G722"),
    ("L16@16000h", "L16@16000h"), ("l16@24000h", "L16@24000h"), ("PCMU@40i", "PCMU@40i"),
    ("L16@24000h@40i", "L16@24000h@40i"),
])
def test_signalwire_codecs(codec, written):
    doc = signalwire.start_stream("wss://h/s", codec=codec)
    assert ET.fromstring(doc.encode())[0][0].get("codec") == written
    assert signalwire.codec_text(codec) == written


@pytest.mark.parametrize("codec, match", [
    ("OPUS", "SignalWire streams offer"), ("PCMU@16000h", "SignalWire streams offer"),
    ("L16@44100h", "SignalWire streams offer"), ("L16@16000", "neither a rate"),
    ("PCMU@0i", "at least 1 ms"), ("", "SignalWire streams offer"),
])
def test_signalwire_bad_codecs(codec, match):
    with pytest.raises(ValueError, match=match):
        signalwire.start_stream("wss://h/s", codec=codec)


def test_signalwire_rules():
    with pytest.raises(ValueError, match="query string"):
        signalwire.start_stream("wss://h/s?a=1")
    with pytest.raises(ValueError, match="31941|inbound"):
        signalwire.connect_stream("wss://h/s", track="outbound_track")
    with pytest.raises(ValueError, match="whitespace"):
        signalwire.start_stream("wss://h/s", auth_bearer_token="a b")
    with pytest.raises(TypeError):
        signalwire.Start(twilio.Stream("wss://h/s"))   # cXML verbs take cXML streams


# ---------------------------------------------------------------------------
# Plivo
# ---------------------------------------------------------------------------

# https://www.plivo.com/docs/voice/xml/audio-streaming , "Basic Usage",
# "Bidirectional Streaming" and "Stream Both Directions".
PLIVO_BASIC = """<Response>
    <Stream>wss://yourserver.example.com/audiostream</Stream>
</Response>"""
PLIVO_BIDIRECTIONAL = """<Response>
    <Stream bidirectional="true" keepCallAlive="true">
        wss://ai.example.com/voice-agent
    </Stream>
</Response>"""
PLIVO_BOTH = """<Response>
    <Stream audioTrack="both" streamTimeout="3600">
        wss://transcription.example.com/stream
    </Stream>
    <Speak>This call is being transcribed for quality purposes.</Speak>
</Response>"""

# https://docs.plivo.com/docs/voice/xml/the-stream-element/initiate-a-audio-stream
# the Python sample: StreamElement('wss://yourstream.websocket.io/audiostream',
# bidirectional="false", audioTrack="both", streamTimeout=120,
# statusCallbackMethod="POST", statusCallbackUrl="https://yourdomain.com/events/",
# contentType="audio/x-l16;rate=8000", extraHeaders="Test1=Test2,Test3=Test4").
# (The page's printed XML shows contentType="raw", a value its own attribute
# table does not list; the sample's value is used.)
PLIVO_INITIATE = """<Response>
<Stream bidirectional="false" streamTimeout="120" audioTrack="both" \
statusCallbackUrl="https://yourdomain.com/events/" statusCallbackMethod="POST" \
contentType="audio/x-l16;rate=8000" extraHeaders="Test1=Test2,Test3=Test4">\
wss://yourstream.websocket.io/audiostream</Stream>
</Response>"""


def test_plivo_documented_examples():
    assert same_xml(plivo.stream("wss://yourserver.example.com/audiostream"), PLIVO_BASIC)
    assert same_xml(plivo.stream("wss://ai.example.com/voice-agent", bidirectional=True,
                                 keep_call_alive=True), PLIVO_BIDIRECTIONAL)
    assert same_xml(plivo.stream(
        "wss://transcription.example.com/stream", audio_track="both", stream_timeout=3600,
        after=[plivo.Speak("This call is being transcribed for quality purposes.")]),
        PLIVO_BOTH)
    assert same_xml(plivo.stream(
        "wss://yourstream.websocket.io/audiostream", bidirectional=False, audio_track="both",
        stream_timeout=120, status_callback_method="POST",
        status_callback_url="https://yourdomain.com/events/",
        content_type="audio/x-l16;rate=8000", extra_headers="Test1=Test2,Test3=Test4"),
        PLIVO_INITIATE)


def test_plivo_every_attribute():
    doc = plivo.stream("wss://h/s", bidirectional="TRUE", audio_track="inbound",
                       content_type="audio/x-mulaw; rate=8000", keep_call_alive=True,
                       extra_headers={"callId": "abc123", "n": 7},
                       noise_cancellation=True, noise_cancellation_level="90")
    el = ET.fromstring(doc.encode())[0]
    assert el.text == "wss://h/s"
    assert el.attrib == {"bidirectional": "true", "audioTrack": "inbound",
                         "contentType": "audio/x-mulaw;rate=8000", "keepCallAlive": "true",
                         "extraHeaders": "callId=abc123,n=7", "noiseCancellation": "true",
                         "noiseCancellationLevel": "90"}


@pytest.mark.parametrize("kwargs, match", [
    (dict(url="https://h/s"), "ws"),
    (dict(bidirectional=True, audio_track="both"), "inbound"),
    (dict(audio_track="in"), "audio_track must be one of"),
    (dict(content_type="audio/x-l16;rate=24000"), "content_type must be one of"),
    (dict(stream_timeout=0), ">= 1"),
    (dict(extra_headers={"a-b": "c"}), "letters and digits"),
    (dict(extra_headers="a=b,c"), "letters and digits"),
    (dict(extra_headers={"k": "v" * 600}), "at most 512"),
    (dict(extra_headers={}), "empty"),
    (dict(status_callback_method="GET"), "needs a status_callback_url"),
    (dict(noise_cancellation_level=80), "needs noise_cancellation"),
    (dict(noise_cancellation=True, noise_cancellation_level=50), "60..100"),
    (dict(bidirectional="yes"), "bidirectional must be one of"),
])
def test_plivo_validation(kwargs, match):
    url = kwargs.pop("url", "wss://h/s")
    with pytest.raises(ValueError, match=match):
        plivo.stream(url, **kwargs)


def test_plivo_url_text_is_escaped():
    doc = plivo.stream("wss://h/s?a=1&b=2")
    assert "wss://h/s?a=1&amp;b=2</Stream>" in doc
    assert ET.fromstring(doc.encode())[0].text == "wss://h/s?a=1&b=2"


# ---------------------------------------------------------------------------
# Vonage
# ---------------------------------------------------------------------------

# https://developer.vonage.com/en/tutorials/connect-to-a-websocket/write-answer-webhook/node
# (the NCCO of the answer webhook; req.hostname = example.com).
VONAGE_TUTORIAL = [
    {"action": "talk", "text": "Please wait while we connect you to the echo server"},
    {"action": "connect", "from": "Vonage", "endpoint": [
        {"type": "websocket", "uri": "wss://example.com/socket",
         "content-type": "audio/l16;rate=16000"}]},
]


def test_vonage_documented_example():
    doc = vonage.connect_websocket(
        "wss://example.com/socket", rate=16000, from_="Vonage",
        before=[vonage.talk("Please wait while we connect you to the echo server")])
    assert json.loads(doc) == VONAGE_TUTORIAL
    assert list(json.loads(doc)[1]) == ["action", "from", "endpoint"]


def test_vonage_endpoint_options():
    ep = vonage.websocket_endpoint("wss://h/ws", rate=8000, headers={"customer": "42", "n": [1]},
                                   authorization="vonage")
    assert ep == {"type": "websocket", "uri": "wss://h/ws", "content-type": "audio/l16;rate=8000",
                  "headers": {"customer": "42", "n": [1]}, "authorization": {"type": "vonage"}}
    ep = vonage.websocket_endpoint("wss://h/ws", rate=24000, custom_authorization="Bearer abc")
    assert ep["authorization"] == {"type": "custom", "value": "Bearer abc"}
    assert ep["content-type"] == "audio/l16;rate=24000"
    action = vonage.connect(ep, event_url="https://h/ev", event_method="post",
                            event_type="synchronous", timeout=30, limit=600)
    assert action == {"action": "connect", "endpoint": [ep], "eventUrl": ["https://h/ev"],
                      "eventMethod": "POST", "eventType": "synchronous", "timeout": 30,
                      "limit": 600}


@pytest.mark.parametrize("call, match", [
    (lambda: vonage.websocket_endpoint("ws://h/ws"), "wss"),
    (lambda: vonage.websocket_endpoint("wss://h/ws", rate=44100), "rate must be one of"),
    (lambda: vonage.websocket_endpoint("wss://h/ws", rate=True), "rate must be one of"),
    (lambda: vonage.websocket_endpoint("wss://h/ws", authorization="jwt"), "authorization"),
    (lambda: vonage.websocket_endpoint("wss://h/ws", authorization="vonage",
                                       custom_authorization="x"), "not both"),
    (lambda: vonage.websocket_endpoint("wss://h/ws", custom_authorization="a\r\nb"), "one header"),
    (lambda: vonage.connect({"type": "websocket"}, timeout=0), "1..120"),
    (lambda: vonage.connect({"type": "websocket"}, event_method="GET"), "needs an event_url"),
    (lambda: vonage.ncco(), "at least one"),
])
def test_vonage_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_vonage_types():
    with pytest.raises(TypeError, match="JSON"):
        vonage.websocket_endpoint("wss://h/ws", headers={"a": object()})
    with pytest.raises(TypeError):
        vonage.ncco({"text": "no action key"})


# ---------------------------------------------------------------------------
# Exotel
# ---------------------------------------------------------------------------

def test_exotel_url_forms():
    # https://developer.exotel.com/docs/agentstream/stream-voicebot-applet:
    # Basic auth as wss://<API_KEY>:<API_TOKEN>@stream.yourdomain.com/<path>,
    # the rate as ?sample-rate=16000, up to 3 custom parameters.
    assert exotel.stream_url("wss://stream.yourdomain.com/media", sample_rate=16000,
                             api_key="KEY", api_token="TOKEN") == \
        "wss://KEY:TOKEN@stream.yourdomain.com/media?sample-rate=16000"
    assert exotel.stream_url("ws://127.0.0.1:5001/media") == "ws://127.0.0.1:5001/media"
    assert exotel.stream_url("wss://h/m", sample_rate="24000",
                             parameters={"param1": "value1", "param2": "a b&c"}) == \
        "wss://h/m?sample-rate=24000&param1=value1&param2=a+b%26c"
    assert exotel.stream_url("wss://h/m", api_key="k@y", api_token="t:/n") == \
        "wss://k%40y:t%3A%2Fn@h/m"


@pytest.mark.parametrize("kwargs, match", [
    (dict(url="https://h/m"), "ws"),
    (dict(url="wss://h/m?x=1"), "query string"),
    (dict(url="wss://u:p@h/m"), "credentials"),
    (dict(sample_rate=44100), "sample_rate must be one of"),
    (dict(parameters={"a": 1, "b": 2, "c": 3, "d": 4}), "at most 3"),
    (dict(parameters={"a": "x" * 260}), "256"),
    (dict(parameters={"sample-rate": "8000"}), "sample_rate"),
    (dict(api_key="k"), "both"),
])
def test_exotel_validation(kwargs, match):
    url = kwargs.pop("url", "wss://h/m")
    with pytest.raises(ValueError, match=match):
        exotel.stream_url(url, **kwargs)
