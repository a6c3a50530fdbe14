"""A sandbox of WeCom (企业微信) on loopback, for tests, the demo and ``scrm sandbox wecom``.

- ``state.py``: the corp's in-memory data and WeCom's JSON shapes
- ``endpoints.py``: the /cgi-bin/ API
- ``events.py``: simulated user actions and the callbacks they send
- ``callbacks.py``: encryption, signing, delivery with retries, the URL handshake
- ``server.py``: ``SandboxWecom`` (server, tokens, limits, fault injection, request log, seeding)
"""

from scrm.sandbox.wecom.callbacks import Delivery, SentEvent
from scrm.sandbox.wecom.server import SandboxWecom
from scrm.sandbox.wecom.state import WecomApiError

__all__ = ["SandboxWecom", "Delivery", "SentEvent", "WecomApiError"]
