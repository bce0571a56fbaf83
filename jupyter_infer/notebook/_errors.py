"""Short errors that still fail the cell: every InferError leaves a magic with a one-line ``_render_traceback_``.

IPython prints what ``_render_traceback_`` returns instead of a traceback and still sends an ``error`` message, so
Run-All, nbclient and nbval stop (a plain ``UsageError`` would not fail the cell under nbval).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from IPython.core.error import UsageError

from .._exceptions import InferError, OptionError
from ..client import did_you_mean

F = TypeVar("F", bound=Callable[..., Any])

RED, RESET = "\x1b[0;31m", "\x1b[0m"


def shorten(exc: BaseException) -> BaseException:
    """Give ``exc`` a one-line rendering (the class name and the message, no traceback)."""
    lines = [f"{RED}{type(exc).__name__}{RESET}: {exc}"]
    exc._render_traceback_ = lambda: lines  # type: ignore[attr-defined]
    return exc


def usage_error(magic: str, message: str, options: list[str]) -> OptionError:
    """A bad argument as an OptionError naming the magic, with a did-you-mean for a misspelled option."""
    msg = message.strip()
    if msg.startswith("unrecognized arguments:"):
        words = msg.split(":", 1)[1].split()
        hints = [did_you_mean(w, options) for w in words if w.startswith("-")]
        msg = msg.rstrip(".") + "." + "".join(h for h in hints if h)
    else:
        msg = msg.rstrip(".") + "."
    return OptionError(f"%{magic}: {msg} See %{magic}? for the options.")


def short_errors(magic: str, options: Callable[[], list[str]]) -> Callable[[F], F]:
    """Decorator for a magic method: InferErrors and bad arguments fail the cell with one line, unless
    ``InferMagics.short_errors`` is off (then the full traceback shows)."""

    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except UsageError as e:  # magic_arguments' parser errors
                err = usage_error(magic, str(e), options())
                if self.short_errors:
                    raise shorten(err) from None
                raise err from e
            except InferError as e:
                if self.short_errors:
                    raise shorten(e) from None
                raise

        return wrapper  # type: ignore[return-value]

    return deco
