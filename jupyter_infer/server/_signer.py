"""Signed, expiring tokens for the two URLs that carry no Authorization header: the upload PUT and the result
download (``inference_results_uri``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


class Signer:
    """HMAC tokens that name what they allow (``purpose``, an id) and until when."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def sign(self, purpose: str, ident: str, ttl_seconds: float) -> str:
        exp = int(time.time() + ttl_seconds)
        mac = hmac.new(self.secret, f"{purpose}:{ident}:{exp}".encode(), hashlib.sha256).digest()
        return f"{exp}.{base64.urlsafe_b64encode(mac[:24]).decode().rstrip('=')}"

    def check(self, purpose: str, ident: str, token: str | None) -> str | None:
        """None when valid, else why not."""
        if not token or "." not in token:
            return "a signed token is required"
        exp_s, _, mac_s = token.partition(".")
        try:
            exp = int(exp_s)
        except ValueError:
            return "the signed token is malformed"
        mac = hmac.new(self.secret, f"{purpose}:{ident}:{exp}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.urlsafe_b64encode(mac[:24]).decode().rstrip("="), mac_s):
            return "the signed token is not valid for this URL"
        if exp < time.time():
            return "the signed URL has expired; ask for a new one"
        return None
