"""Training entry point and the trained artifact: one object per model version, pure tables in and out."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

import numpy as np
import pandas as pd

from .._exceptions import InputError, OptionError
from . import drift
from ._choices import check_columns
from .features import Featurizer
from .options import InferOptions, check_model_type, check_params, did_you_mean
from .schema import TEXT, Reconciliation, align, check_frame, infer_schema
from .types import anomaly, clustering, embedding, factors, prediction
from .types._base import FitContext, Report, _no_cancel, _no_report, threads_for

NEEDS_DISTANCE = {"clustering", "embedding", "search", "factors"}


@dataclass
class Artifact:
    """A trained model: featurizer, estimators and what was learned about the data."""

    model_type: str
    featurizer: Featurizer
    core: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    descriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)  # the training bins drift is measured against

    @property
    def input_columns(self) -> list[str]:
        return list(self.info.get("input_columns", []))

    def scorer(self, options: InferOptions) -> BatchScorer:
        return BatchScorer(self, options.resolve(self.model_type))

    def to_state(self) -> dict[str, Any]:
        return {
            "model_type": self.model_type,
            "featurizer": self.featurizer.to_state(),
            "core": self.core,
            "info": self.info,
            "metrics": self.metrics,
            "descriptions": self.descriptions,
            "reference": self.reference,
        }

    @classmethod
    def from_state(cls, s: dict[str, Any]) -> Artifact:
        return cls(
            s["model_type"],
            Featurizer.from_state(s["featurizer"]),
            s["core"],
            s["info"],
            s["metrics"],
            s["descriptions"],
            s.get("reference") or {},
        )


@dataclass
class TrainingRequest:
    """A checked training request: the rows to fit, the label (prediction), the feature columns."""

    df: pd.DataFrame
    model_type: str
    feature_cols: list[str]
    params: dict[str, Any]
    info: dict[str, Any]
    label: pd.Series | None = None
    id_column: str | None = None


def _usable_ids(s: pd.Series) -> bool:
    kind_ok = pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)
    return bool(kind_ok and s.notna().all() and s.is_unique)


def _id_values(s: pd.Series) -> np.ndarray:
    return np.asarray(s.to_numpy() if pd.api.types.is_integer_dtype(s.dtype) else s.astype(str).to_numpy(dtype=object))


def _plain(v: Any) -> Any:
    """A numpy scalar as the Python value it holds, so messages show 1, not np.int64(1)."""
    return v.item() if isinstance(v, np.generic) else v


class TrainingArgs(TypedDict, total=False):
    """What a training request says besides its rows and model type (the keyword arguments of ``validate_training``
    and ``train``): the label (prediction), the columns to read (default: all but the label and id), the training
    params (``engine.params``) and the id column."""

    label_column: str | None
    input_columns: list[str] | str | None
    params: dict[str, Any] | None
    id_column: str | None


def validate_training(df: pd.DataFrame, model_type: str, **args: Unpack[TrainingArgs]) -> TrainingRequest:
    """Every check that can fail a training request, before anything is stored or fitted."""
    label_column, id_column = args.get("label_column"), args.get("id_column")
    input_columns = args.get("input_columns")
    check_model_type(model_type)
    params = check_params(model_type, args.get("params"))
    check_frame(df, "The training data")
    if isinstance(input_columns, str):  # one column given as a string, not its letters
        input_columns = [input_columns]
    k = params.get("n_clusters")
    if k is not None and k >= len(df):
        raise OptionError(
            f"n_clusters={k} needs more training rows than clusters; the training data has {len(df)} rows."
        )
    if model_type == "prediction":
        if not label_column:
            raise OptionError("A prediction model needs a label column (label_column / --label).")
        check_columns(df.columns, [label_column], "The label column")
    elif label_column:
        raise OptionError(f"label_column applies to prediction models only; {model_type} models take no label.")
    if id_column:
        check_columns(df.columns, [id_column], "The id column")
    if input_columns:
        twice = next((c for i, c in enumerate(input_columns) if c in input_columns[:i]), None)
        if twice is not None:
            raise OptionError(f'The input column "{twice}" is named twice; name each column once.')
        check_columns(df.columns, list(input_columns), "The input column")
        feature_cols = [c for c in input_columns if c not in (label_column, id_column)]
    else:
        feature_cols = [c for c in df.columns if c not in (label_column, id_column)]
    if not feature_cols:
        raise InputError("No input columns are left once the label and id columns are set aside.")

    info: dict[str, Any] = {"params": params, "label_column": label_column, "id_column": id_column}
    label = None
    if model_type == "prediction":
        assert label_column is not None
        y = df[label_column]
        prediction.check_label(y, label_column)
        keep = y.notna().to_numpy()
        if not keep.any():
            raise InputError(f'The label column "{label_column}" has no values (every value is missing).')
        if y[keep].nunique() < 2:
            raise InputError(
                f'The label column "{label_column}" has a single value ({_plain(y[keep].iloc[0])!r}); there is '
                "nothing to predict."
            )
        df = df.loc[keep]
        info["rows_without_label"] = int((~keep).sum())
        task = prediction.decide_task(df[label_column], params.get("task"))
        label = prediction.clean_label(df[label_column], task, label_column).reset_index(drop=True)
        df = df.reset_index(drop=True)
        params = {**params, "_task": task}
    return TrainingRequest(df, model_type, feature_cols, params, info, label, id_column)


def train(
    df: pd.DataFrame,
    model_type: str,
    *,
    report: Report = _no_report,
    check_cancel: Callable[[], None] = _no_cancel,
    **args: Unpack[TrainingArgs],
) -> Artifact:
    """Validate the request (``args`` as ``validate_training`` takes them), infer the schema, fit the model type;
    raise InputError/OptionError on bad input."""
    t0 = time.perf_counter()
    report("ingest", 0.0)
    req = validate_training(df, model_type, **args)
    df, feature_cols, params, info, label = req.df, req.feature_cols, req.params, req.info, req.label
    id_column = req.id_column
    schema = infer_schema(df[feature_cols], exclude=set())
    aligned, _ = align(df, schema)
    featurizer = Featurizer.fit(aligned, schema, distance=model_type in NEEDS_DISTANCE or model_type == "prediction")
    unlearned = [c.name for c in schema.of_kind(TEXT) if c.name not in featurizer.text]
    dropped = schema.dropped + [
        {"name": n, "reason": "text with no word in two or more rows (nothing to learn from)"} for n in unlearned
    ]
    if len(unlearned) == len(schema.columns):
        reasons = "; ".join(f"{d['name']}: {d['reason']}" for d in dropped)
        raise InputError(f"No usable feature columns ({reasons}).")
    ids = df[id_column].to_numpy() if id_column else None
    reference = drift.reference(aligned, schema)
    ctx = FitContext(aligned, featurizer, params, label, ids, report, check_cancel)
    ctx.seconds["ingest"] = time.perf_counter() - t0
    check_cancel()
    fit = {
        "prediction": prediction.fit,
        "clustering": clustering.fit,
        "anomaly": anomaly.fit,
        "embedding": embedding.fit,
        "search": embedding.fit_search,
        "factors": factors.fit,
    }[model_type]
    with threads_for(len(df)):
        fitted = fit(ctx)
    if model_type == "search":
        # SPEC §4: with id_column at inference, match_id uses the training data's id_column too. Every column that
        # could be ids (whole numbers or text, unique, never missing) keeps its training values for that, features
        # included: an integer id column that is not a row counter is often a feature too.
        fitted.core["ids_by_column"] = {
            str(c): _id_values(df[c]) for c in df.columns if c != id_column and _usable_ids(df[c])
        }
    params.pop("_task", None)
    info.update(fitted.info)
    info.update(
        {
            "input_columns": schema.names,
            "dropped_columns": dropped,
            "feature_kinds": {c.name: c.kind for c in schema.columns if c.name not in unlearned},
            "feature_notes": {k: v for k, v in schema.notes.items() if k not in unlearned},
            "n_rows": len(df),
            "phase_seconds": {k: round(v, 4) for k, v in ctx.seconds.items()},
        }
    )
    return Artifact(model_type, featurizer, fitted.core, info, fitted.metrics, fitted.descriptions, reference)


class BatchScorer:
    """Scores one inference input batch by batch; free of I/O, so it runs the same in memory, streaming or on a
    Dask worker. ``score`` returns the output rows of a batch (or None), ``finish`` the trailing rows."""

    def __init__(self, art: Artifact, options: InferOptions) -> None:
        self.art = art
        self.options = options
        self.reconciliation = Reconciliation()
        self.drift = drift.DriftCounter(art.reference)
        self.rows_in = 0
        core, feat = art.core, art.featurizer
        t = art.model_type
        self.impl: Any
        if t == "prediction":
            if options.prob_columns and core["task"] != "classification":
                raise OptionError("prob_columns applies to classification models only; this one is a regression.")
            self.impl = prediction.Scorer(core, feat, options.prob_columns)
        elif t == "clustering":
            self.impl = clustering.Scorer(core, feat)
        elif t == "anomaly":
            self.impl = anomaly.Scorer(core, feat, options.anomaly_format or "ids_only")
        elif t == "embedding":
            self.impl = embedding.Scorer(core, feat)
        elif t == "search":
            self.impl = embedding.SearchScorer(
                core, feat, int(options.k or 1), options.exclude_self_matches, options.id_column
            )
        else:
            self.impl = factors.Scorer(core, feat, options.factor_scores, art.descriptions)

    def ids_for(self, df: pd.DataFrame, start: int) -> np.ndarray:
        col = self.options.id_column
        if col:
            if col not in df.columns:
                raise InputError(
                    f'The id column "{col}" is not in the inference data.'
                    + did_you_mean(col, list(map(str, df.columns)))
                )
            ids = df[col].to_numpy()
            if ids.dtype == object and pd.api.types.infer_dtype(ids, skipna=True) not in ("string", "empty"):
                if any(isinstance(v, dict | list | set | tuple | bytes) for v in ids):
                    raise InputError(f'The id column "{col}" holds lists, dicts or bytes; ids must be numbers or text.')
                # numbers mixed with text: every id as its text (a table column holds one type)
                ids = np.array([None if v is None or v != v else str(v) for v in ids], dtype=object)
            return np.asarray(ids)
        return np.arange(start, start + len(df), dtype=np.int64)

    def score(self, df: pd.DataFrame, start: int | None = None, from_text: bool = False) -> pd.DataFrame | None:
        """Score one batch; ``start`` is the position of its first row in the whole input (default: running).
        ``from_text``: the batch was read from CSV as text (see ``schema.align``)."""
        start = self.rows_in if start is None else start
        ids = self.ids_for(df, start)
        keep = (self.options.id_column,) if self.options.id_column else ()
        aligned, rec = align(df, self.art.featurizer.schema, keep=keep, from_text=from_text)
        if self.options.id_column:
            rec.dropped = [c for c in rec.dropped if c != self.options.id_column]
        self.reconciliation.merge(rec)
        self.drift.add(aligned)
        self.rows_in += len(df)
        if len(df) == 0:
            return None
        with threads_for(len(df)):
            return self.impl.score(aligned, ids)

    def finish(self) -> pd.DataFrame | None:
        fin = getattr(self.impl, "finish", None)
        return fin() if fin else None

    def state(self) -> dict[str, Any]:
        """What ``merge`` needs from a scorer over part of the input (dicts, lists and arrays: it travels from Dask
        workers)."""
        impl_state = getattr(self.impl, "state", None)
        return {
            "rows": self.rows_in,
            "reconciliation": self.reconciliation.to_dict(),
            "drift": self.drift.state(),
            "impl": impl_state() if impl_state else None,
        }

    def merge(self, states: list[dict[str, Any]]) -> None:
        """Fold the states of scorers over the input's parts (given in input order) into this one, so that its
        ``reconciliation``, ``descriptions()`` and ``finish()`` are what one scorer over the whole input gives."""
        for st in states:
            self.reconciliation.merge(Reconciliation(**st["reconciliation"]))
            self.drift.merge([st["drift"]] if st.get("drift") else [])
            self.rows_in += st["rows"]
        impl_merge = getattr(self.impl, "merge", None)
        if impl_merge:
            impl_merge([st["impl"] for st in states])

    def drift_report(self) -> dict[str, Any]:
        """The columns whose distribution moved from the training data (see ``drift``)."""
        return self.drift.report(self.reconciliation.missing)

    def descriptions(self) -> dict[str, dict[str, Any]]:
        extra = getattr(self.impl, "descriptions", None)
        out = {k: v for k, v in self.art.descriptions.items()}
        if extra:
            out.update(extra())
        return out
