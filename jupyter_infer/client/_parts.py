"""What the service mixins (``_service``, ``_uploads``, ``_result_files``) use of the ``LocalBackend`` they are
mixed into: its store, its job runner and how it starts a queued job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..jobs import Runner
    from ..store import Store


class BackendParts:
    store: Store
    runner: Runner

    if TYPE_CHECKING:  # defined by LocalBackend

        def _submit(self, job: dict[str, Any], frame: pd.DataFrame | None = None) -> None: ...
