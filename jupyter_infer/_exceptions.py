"""Every exception jupyter-infer raises on purpose, in one hierarchy.

Each message names the problem in a sentence or two (which column, file, model or option) so that the notebook
front end and the HTTP API can show it to a person as it is.
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "IncompatibleModelError",
    "InferError",
    "InputError",
    "JobCanceled",
    "JobFailed",
    "NotFoundError",
    "OptionError",
    "RemoteError",
    "StoreError",
    "TooLargeError",
    "UnsafeModelError",
]


class InferError(Exception):
    """Base class: a failure a user can act on. ``status`` is the HTTP status the server answers with."""

    status: int = 400
    should_retry: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(InferError):
    """The data given is unusable: unreadable file, empty table, bad label, no shared columns, duplicate names."""

    status = 422


class OptionError(InferError):
    """An argument or option is wrong or does not apply (unknown params key, k <= 0, anomaly_format on a
    prediction model)."""

    status = 422


class NotFoundError(InferError):
    """A model, dataset, version or job that does not exist; the message offers a did-you-mean where one fits."""

    status = 404


class ConflictError(InferError):
    """The request conflicts with the current state: results of a job that has not succeeded, a file that exists."""

    status = 409


class TooLargeError(InferError):
    """A request body or upload over the configured size cap."""

    status = 413


class UnsafeModelError(InferError):
    """A model file holds types outside the allow-list (tampered or foreign); it was not loaded."""

    status = 422


class IncompatibleModelError(InferError):
    """A model file made by an incompatible library version; retrain it."""

    status = 409


class StoreError(InferError):
    """The store cannot take a write: its disk is full, or its folder or ``store.sqlite`` is read-only. The message
    names the store's folder and what to do; over HTTP it is a 507 (retrying will not help until space is freed)."""

    status = 507


class JobFailed(InferError):
    """A job ended ``failed``; the message is the job's ``error_message``."""

    status = 500


class JobCanceled(InferError):
    """A job was canceled (by the user, a Cancel button or a kernel interrupt) before it finished."""

    status = 409


class RemoteError(InferError):
    """A remote service answered with an error that maps to no other class, or could not be reached."""

    status = 502
    should_retry = True
