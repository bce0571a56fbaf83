"""multipart/form-data bodies without holding them in memory, parsed by python-multipart: each file part is written
to a file in the request's folder as its bytes arrive, plain fields collect in memory (each at most
``MAX_FIELD_BYTES``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from ..client._uploads import safe_filename

MAX_FIELD_BYTES = 1 << 20  # a plain (non-file) form field
MAX_HEADER_BYTES = 16 << 10  # one header line of a part (python-multipart's default is 4 KiB)
MAX_PREAMBLE_BYTES = 64 << 10  # what may come before the first boundary (RFC 2046 5.1.1: ignored)


class BodyError(ValueError):
    """A malformed body (answered 400)."""


@dataclass
class UploadedFile:
    """A file part, on disk."""

    filename: str
    path: Path
    size: int = 0
    content_type: str | None = None


def multipart_boundary(content_type: str) -> bytes | None:
    """The boundary of a ``multipart/...`` content type, None if it has none."""
    _ctype, options = parse_options_header(content_type or "")
    return options.get(b"boundary") or None


class FormStream:
    """Feed it the body's chunks; file parts become ``files`` (written under ``folder``), other parts ``fields``.
    ``complete`` once the closing boundary was read."""

    def __init__(self, boundary: bytes, folder: Path) -> None:
        self.folder = folder
        self.fields: dict[str, str] = {}
        self.files: dict[str, UploadedFile] = {}
        self.complete = False
        self._headers: dict[bytes, bytes] = {}
        self._header = [b"", b""]
        self._name = ""
        self._field: bytearray | None = None
        self._file: IO[bytes] | None = None
        self._upload: UploadedFile | None = None
        self._delimiter = b"--" + boundary
        self._preamble: bytearray | None = bytearray()  # the body's start until its first boundary; then None
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._data, "on_part_end": self._part_end,
            "on_end": self._end,
        }, max_header_size=MAX_HEADER_BYTES)  # fmt: skip

    def feed(self, chunk: bytes) -> None:
        if self._preamble is not None:  # python-multipart wants the body to open with the boundary
            self._preamble += chunk
            at = self._preamble.find(self._delimiter)
            if at < 0:
                if len(self._preamble) > MAX_PREAMBLE_BYTES:
                    raise BodyError("malformed multipart body (no boundary in its first 64 KiB)")
                return
            chunk, self._preamble = bytes(self._preamble[at:]), None
        try:
            self._parser.write(chunk)
        except MultipartParseError as e:
            raise BodyError(f"malformed multipart body ({e})") from None

    def close(self) -> None:
        """Close a half-written file part (an aborted or oversize body)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    # ---- python-multipart's callbacks ------------------------------------------------------------------------
    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header[0] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._header[1] += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header[0].strip().lower()] = self._header[1].strip()
        self._header = [b"", b""]

    def _headers_finished(self) -> None:
        _kind, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise BodyError("malformed multipart body (a part without a name)")
        self._name = name
        if b"filename" in disposition:
            filename = disposition[b"filename"].decode("utf-8", "replace")
            path = self.folder / safe_filename(filename, default=name)
            if path.exists():  # one file per part: two parts may carry the same filename
                path = path.with_name(f"{len(self.files)}-{path.name}")
            ctype = self._headers.get(b"content-type")
            self._upload = UploadedFile(filename, path, 0, ctype.decode("latin-1") if ctype else None)
            self._file = open(path, "wb")  # noqa: SIM115 - closed at the part's end or by close()
        else:
            self._field = bytearray()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None and self._upload is not None:
            self._file.write(data[start:end])
            self._upload.size += end - start
        elif self._field is not None:
            self._field += data[start:end]
            if len(self._field) > MAX_FIELD_BYTES:
                raise BodyError(f'the form field "{self._name}" is too long')

    def _part_end(self) -> None:
        if self._file is not None and self._upload is not None:
            self._file.close()
            self._file = None
            self.files[self._name] = self._upload
        elif self._field is not None:
            self.fields[self._name] = self._field.decode("utf-8", "replace")
            self._field = None

    def _end(self) -> None:
        self.complete = True
