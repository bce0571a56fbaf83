"""Files a job opens under a root it must not leave (the Jupyter server's root): checked again when they are opened,
not only when the request arrived, so that a folder swapped for a symbolic link in between cannot lead outside.

Each path is walked from the root one name at a time with ``O_NOFOLLOW`` (a directory file descriptor per step), so
no symbolic link is followed anywhere on the way; the reader then gets a name that leads to that open file, and the
writer creates its temporary file and links it into place inside that open directory. Where a platform lacks what
this needs (``/proc/self/fd``, ``dir_fd``), the path is resolved again just before use and must still lie under
the root (a narrower race than the request's first check, not none).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .._exceptions import InputError
from ..engine.outputs import encode, with_metadata

_PINNABLE = sys.platform.startswith("linux") and os.path.isdir("/proc/self/fd") and os.open in os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class Escape(InputError):
    """A job's input or output path leads outside the server root at the moment the job opens it."""


def _parts(path: str | os.PathLike[str], root: Path) -> tuple[str, ...]:
    """The names from the root down to ``path`` (resolved when the request was accepted, so it holds no link)."""
    p = Path(os.path.abspath(path))
    try:
        rel = p.relative_to(root)
    except ValueError:
        raise Escape(f"{p.name} is not under the server root.") from None
    parts = PurePosixPath(rel.as_posix()).parts
    if not parts or any(x in ("", ".", "..") for x in parts):
        raise Escape(f"{rel.as_posix()} is not a file name under the server root.")
    return parts


def _refuse(rel: str, step: str, e: OSError) -> Escape:
    if e.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        where = (
            f"{rel} is now a symbolic link"
            if step == rel
            else f"{rel}: {step} is now a symbolic link (or no longer a folder)"
        )
        return Escape(f"{where}; a job only reads and writes inside the server root, so it stopped.")
    if e.errno == errno.ENOENT:
        return Escape(f"{rel}: {step} no longer exists.")
    return Escape(f"{rel}: cannot open {step} ({e.strerror or e}).")


@contextlib.contextmanager
def _open_dir(root: Path, parts: tuple[str, ...], rel: str) -> Iterator[int]:
    """A file descriptor of the folder ``root/parts...``, reached without following any link."""
    fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for i, name in enumerate(parts):
            try:
                nxt = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            except OSError as e:
                raise _refuse(rel, "/".join(parts[: i + 1]), e) from None
            os.close(fd)
            fd = nxt
        yield fd
    finally:
        os.close(fd)


def recheck(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> None:
    """The path, resolved now, must still lie under the root (the fallback, and for readers in other processes)."""
    if root:
        _recheck(path, Path(root))


def _recheck(path: str | os.PathLike[str], root: Path) -> None:
    rel = "/".join(_parts(path, root))
    real = Path(os.path.realpath(path))
    if real != root and not real.is_relative_to(root):
        raise Escape(f"{rel} now leads outside the server root (a symbolic link replaced part of it); stopped.")


@contextlib.contextmanager
def confined_input(path: str, root: str | os.PathLike[str] | None) -> Iterator[str]:
    """A name the job's readers may open for ``path``: the file as it was reached from ``root`` without links,
    held open until the block ends. Without a root: ``path`` as it is."""
    if not root:
        yield path
        return
    base = Path(root)
    parts = _parts(path, base)
    rel = "/".join(parts)
    if not _PINNABLE:
        _recheck(path, base)
        yield path
        return
    with _open_dir(base, parts[:-1], rel) as dfd:
        try:
            fd = os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC, dir_fd=dfd)
        except OSError as e:
            raise _refuse(rel, rel, e) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Escape(f"{rel} is not a regular file.")
        # readers choose the format by the file's extension: a link with the file's own name, in a private
        # folder, to the magic link of the open descriptor (always this file, whatever happens to the path)
        private = tempfile.mkdtemp(prefix="jupyter-infer-input-")
        try:
            link = os.path.join(private, parts[-1])
            os.symlink(f"/proc/{os.getpid()}/fd/{fd}", link)
            yield link
        finally:
            shutil.rmtree(private, ignore_errors=True)
    finally:
        os.close(fd)


def confined_write(
    dest: str | os.PathLike[str], root: str | os.PathLike[str], write: Callable[[str], None], attempts: int = 10_000
) -> Path:
    """Write a new file at ``dest`` under ``root`` without ever replacing one: ``write(path)`` fills a temporary
    file created inside the folder reached without links, which is then linked to ``dest`` or, when that name is
    taken, ``<stem>-1<ext>``, ``-2``, ... Returns the path written."""
    base = Path(root)
    parts = _parts(dest, base)
    rel = "/".join(parts)
    name = parts[-1]
    candidates = _free_names(name, attempts)
    if not _PINNABLE:
        if len(parts) > 1:
            _recheck(Path(dest).parent, base)
        return _write_fallback(Path(dest), write, candidates)
    with _open_dir(base, parts[:-1], rel) as dfd:
        tmp = f".{name}.export-{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o666, dir_fd=dfd)
        try:
            write(f"/proc/{os.getpid()}/fd/{fd}")  # the file just created, whatever happens to its name
            for cand in candidates:
                if _place(tmp, cand, dfd):
                    return Path(dest).with_name(cand)
            raise Escape(f"{rel}: no free file name beside it.")
        finally:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)


def _place(tmp: str, name: str, dfd: int | None) -> bool:
    """Give the written file ``tmp`` the name ``name`` (both in the folder ``dfd``, or paths) unless that name is
    taken; False when it is. A hard link: atomic, and refused when the name exists. A filesystem without hard links
    (FAT, some network shares: EPERM, EOPNOTSUPP) gets a check, then a rename, which a writer racing for the same
    name in between could lose to."""
    at: dict[str, Any] = {} if dfd is None else {"src_dir_fd": dfd, "dst_dir_fd": dfd}
    try:
        os.link(tmp, name, **at, **({} if dfd is None else {"follow_symlinks": False}))
        return True
    except FileExistsError:
        return False
    except OSError:
        try:
            os.stat(name, dir_fd=dfd, follow_symlinks=False)
            return False
        except FileNotFoundError:
            os.rename(tmp, name, **at)
            return True


def result_writer(table: pa.Table, meta: dict[str, Any], fmt: str) -> Callable[[str], None]:
    """``write(path)`` for ``confined_write``: the result in a format, written straight to ``path``."""

    def write(path: str) -> None:
        if fmt == "parquet":
            pq.write_table(with_metadata(table, meta), path)
        else:
            with open(path, "wb") as f:
                f.write(encode(table, meta, fmt))

    return write


def _free_names(name: str, attempts: int) -> Iterator[str]:
    """``name``, then ``<stem>-1<ext>``, ``-2``, ...: the names a new file may take beside one that exists."""
    stem, ext = os.path.splitext(name)
    return (name if n == 0 else f"{stem}-{n}{ext}" for n in range(attempts))


def new_file(dest: str | os.PathLike[str], write: Callable[[str], None], attempts: int = 10_000) -> Path:
    """Write a new file at ``dest`` (no server root to stay under) without ever replacing one: ``write(path)`` fills a
    temporary file beside it, which is then linked to ``dest`` or the next free ``<stem>-1<ext>``, ``-2``, ..."""
    return _write_fallback(Path(dest), write, _free_names(Path(dest).name, attempts))


def _write_fallback(dest: Path, write: Callable[[str], None], candidates: Iterator[str]) -> Path:
    tmp = dest.with_name(f".{dest.name}.export-{secrets.token_hex(8)}")
    try:
        write(str(tmp))
        for cand in candidates:
            if _place(str(tmp), str(dest.with_name(cand)), None):
                return dest.with_name(cand)
        raise Escape(f"{dest.name}: no free file name beside it.")
    finally:
        tmp.unlink(missing_ok=True)
