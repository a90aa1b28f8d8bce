"""The SignalWire media streams (cXML ``<Stream>``) dialect.

Twilio's messages with a codec choice (PCMU, PCMA, G722, L16 at 8/16/24 kHz).
"""
