"""The Twilio Media Streams dialect.

JSON text, base64 mu-law 8 kHz both ways, camelCase fields.
"""
