"""The Exotel AgentStream (Voicebot applet) dialect.

JSON text, snake_case, base64 16-bit PCM at 8/16/24 kHz; 320-byte framing.
"""
