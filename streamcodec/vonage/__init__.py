"""The Vonage Voice API WebSockets dialect.

Binary 16-bit little-endian PCM frames of exactly 20 ms, text JSON control.
"""
