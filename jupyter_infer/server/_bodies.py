"""Request bodies without holding them in memory: a streaming multipart/form-data parser that writes file parts
to disk as they arrive, and signed, expiring tokens for the two URLs that carry no Authorization header."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

MAX_FIELD_BYTES = 1 << 20  # a plain (non-file) form field
MAX_HEADER_BYTES = 16 << 10


class BodyError(ValueError):
    """A malformed body (answered 400)."""


def multipart_boundary(content_type: str) -> bytes | None:
    m = re.search(r'boundary="?([^";]+)"?', content_type or "", re.IGNORECASE)
    return m.group(1).encode("latin-1") if m else None


def _disposition(headers: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in headers.decode("utf-8", "replace").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-disposition":
            for m in re.finditer(r';\s*([\w*]+)="((?:[^"\\]|\\.)*)"|;\s*([\w*]+)=([^;\s]+)', value):
                key = (m.group(1) or m.group(3) or "").lower()
                out[key] = m.group(2) if m.group(2) is not None else m.group(4)
        elif name.strip().lower() == "content-type":
            out["content-type"] = value.strip()
    return out


class MultipartParser:
    """Feed it chunks; file parts go to ``open_file(field, filename)`` (a binary file it writes and closes), other
    fields collect in ``fields`` (each at most MAX_FIELD_BYTES)."""

    def __init__(self, boundary: bytes, open_file: Callable[[str, str], tuple[IO[bytes], Path]]) -> None:
        self.delim = b"\r\n--" + boundary
        self.open_file = open_file
        self.buf = b"\r\n"  # so that a boundary on the very first line matches the delimiter too
        self.state = "preamble"
        self.fields: dict[str, str] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self._name = ""
        self._field: bytearray | None = None
        self._file: IO[bytes] | None = None
        self._file_info: dict[str, Any] | None = None

    def feed(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.state == "preamble":
                i = self.buf.find(self.delim)
                if i < 0:
                    self.buf = self.buf[-len(self.delim) :]
                    return
                self.buf = self.buf[i + len(self.delim) :]
                self.state = "after_delim"
            elif self.state == "after_delim":
                if len(self.buf) < 2:
                    return
                if self.buf[:2] == b"--":
                    self.state = "done"
                    self.buf = b""
                    return
                j = self.buf.find(b"\r\n")
                if j < 0:
                    if len(self.buf) > 256:
                        raise BodyError("malformed multipart body (no line break after a boundary)")
                    return
                if self.buf[:j].strip(b" \t"):
                    raise BodyError("malformed multipart body (text after a boundary)")
                self.buf = self.buf[j + 2 :]
                self.state = "headers"
            elif self.state == "headers":
                i = self.buf.find(b"\r\n\r\n")
                if i < 0:
                    if len(self.buf) > MAX_HEADER_BYTES:
                        raise BodyError("malformed multipart body (part headers too long)")
                    return
                self._start_part(self.buf[:i])
                self.buf = self.buf[i + 4 :]
                self.state = "body"
            elif self.state == "body":
                i = self.buf.find(self.delim)
                if i >= 0:
                    self._write(self.buf[:i])
                    self._end_part()
                    self.buf = self.buf[i + len(self.delim) :]
                    self.state = "after_delim"
                else:
                    safe = len(self.buf) - len(self.delim) + 1
                    if safe > 0:
                        self._write(self.buf[:safe])
                        self.buf = self.buf[safe:]
                    return
            else:  # done: ignore the epilogue
                self.buf = b""
                return

    def _start_part(self, raw_headers: bytes) -> None:
        d = _disposition(raw_headers)
        name = d.get("name")
        if not name:
            raise BodyError("malformed multipart body (a part without a name)")
        self._name = name
        if "filename" in d:
            fobj, path = self.open_file(name, d.get("filename") or "")
            self._file = fobj
            self._file_info = {"filename": d.get("filename") or "", "path": path, "size": 0,
                               "content_type": d.get("content-type")}  # fmt: skip
        else:
            self._field = bytearray()

    def _write(self, data: bytes) -> None:
        if not data:
            return
        if self._file is not None:
            self._file.write(data)
            assert self._file_info is not None
            self._file_info["size"] += len(data)
        elif self._field is not None:
            self._field += data
            if len(self._field) > MAX_FIELD_BYTES:
                raise BodyError(f'the form field "{self._name}" is too long')

    def _end_part(self) -> None:
        if self._file is not None:
            self._file.close()
            self.files[self._name] = self._file_info or {}
            self._file = None
        elif self._field is not None:
            self.fields[self._name] = self._field.decode("utf-8", "replace")
            self._field = None

    def close(self) -> None:
        """Close a half-written file part (an aborted or oversize body)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def complete(self) -> bool:
        return self.state == "done"


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
