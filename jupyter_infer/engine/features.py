"""Aligned tables to model matrices, in the two flavours the model types need.

*tree*: raw numerics (NaN kept) plus integer codes for categoricals, for boosting and isolation forests.
*distance*: scaled-then-imputed numerics plus one-hot categoricals, for k-means, PCA and neighbours.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .schema import BOOLEAN, CATEGORICAL, DATETIME, DATETIME_PARTS, NUMERIC, TEXT, Schema, datetime_parts, quote

MISSING_LEVEL = "__missing__"
DISTANCE_BOUND = 1e15
F32_MAX = float(np.finfo(np.float32).max)
SMALL_BATCH = 64  # rows up to which a category is looked up in a dict


class Featurizer:
    """Turns aligned frames (see ``schema.align``) into float matrices; fitted once at training."""

    def __init__(
        self,
        schema: Schema,
        text: dict[str, Pipeline] | None = None,
        distance: ColumnTransformer | None = None,
    ) -> None:
        self.schema = schema
        self.text = text or {}
        self.distance = distance
        self.cat_names = [c.name for c in schema.of_kind(CATEGORICAL)]
        self._cat_levels = {c.name: pd.Index(c.categories) for c in schema.of_kind(CATEGORICAL)}
        self._lookups: dict[str, dict[str, float]] = {}

    # ---- fitting -------------------------------------------------------------------------------------------
    @classmethod
    def fit(cls, aligned: pd.DataFrame, schema: Schema, distance: bool) -> Featurizer:
        text: dict[str, Pipeline] = {}
        for col in schema.of_kind(TEXT):
            values = aligned[col.name].fillna("").astype(str)
            vec = TfidfVectorizer(max_features=2000, min_df=2, ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
            try:
                m = vec.fit_transform(values)
            except ValueError:  # empty vocabulary
                continue
            n_comp = int(min(16, m.shape[1] - 1, len(values) - 1))
            if n_comp < 1:
                continue
            text[col.name] = Pipeline([("tfidf", vec), ("svd", TruncatedSVD(n_comp, random_state=0))]).fit(values)
        self = cls(schema, text)
        if distance:
            num_names = self.numeric_names()
            frame = self._distance_frame(aligned)
            parts: list[tuple[str, Any, list[str]]] = []
            if num_names:
                parts.append(
                    (
                        "num",
                        Pipeline(
                            [
                                ("scale", StandardScaler()),
                                ("impute", SimpleImputer(strategy="mean", add_indicator=True)),
                            ]
                        ),
                        num_names,
                    )
                )
            if self.cat_names:
                parts.append(
                    (
                        "cat",
                        Pipeline(
                            [
                                ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL)),
                                (
                                    "onehot",
                                    OneHotEncoder(
                                        handle_unknown="infrequent_if_exist",
                                        min_frequency=0.01,
                                        max_categories=20,
                                        sparse_output=False,
                                    ),
                                ),
                            ]
                        ),
                        self.cat_names,
                    )
                )
            ct = ColumnTransformer(parts, sparse_threshold=0.0, verbose_feature_names_out=False)
            ct.fit(frame)
            self.distance = ct
        return self

    # ---- numeric block -------------------------------------------------------------------------------------
    def numeric_names(self) -> list[str]:
        names: list[str] = []
        for col in self.schema.columns:
            if col.kind in (NUMERIC, BOOLEAN):
                names.append(col.name)
            elif col.kind == DATETIME:
                names.extend(f"{col.name}.{p}" for p in DATETIME_PARTS)
            elif col.kind == TEXT and col.name in self.text:
                k = self.text[col.name].named_steps["svd"].n_components
                names.extend(f"{col.name}.text_{i}" for i in range(k))
        return names

    def _numeric_arrays(self, aligned: pd.DataFrame) -> list[np.ndarray]:
        arrays: list[np.ndarray] = []
        for col in self.schema.columns:
            s = aligned[col.name]
            if col.kind in (NUMERIC, BOOLEAN):
                arrays.append(s.to_numpy(dtype="float64", na_value=np.nan))
            elif col.kind == DATETIME:
                parts = datetime_parts(s)
                arrays.extend(parts[p] for p in DATETIME_PARTS)
            elif col.kind == TEXT and col.name in self.text:
                emb = self.text[col.name].transform(s.fillna("").astype(str))
                arrays.extend(np.asarray(emb[:, i], dtype="float64") for i in range(emb.shape[1]))
        return arrays

    def codes(self, aligned: pd.DataFrame) -> list[np.ndarray]:
        """Categoricals as float codes into the training levels; unseen and missing become NaN."""
        out = []
        for name in self.cat_names:
            values = aligned[name].to_numpy(dtype=object)
            if len(values) <= SMALL_BATCH:  # a few rows: a dict lookup, not a hash table built per call
                lookup = self._lookups.get(name)
                if lookup is None:
                    lookup = self._lookups[name] = {v: float(i) for i, v in enumerate(self._cat_levels[name])}
                out.append(np.array([lookup.get(v, np.nan) for v in values], dtype=np.float32))
                continue
            idx = self._cat_levels[name].get_indexer(values)
            codes = idx.astype(np.float32)
            codes[idx < 0] = np.nan
            out.append(codes)
        return out

    # ---- tree flavour --------------------------------------------------------------------------------------
    def tree_matrix(self, aligned: pd.DataFrame) -> np.ndarray:
        cols = self._numeric_arrays(aligned) + self.codes(aligned)
        if not cols:
            return np.empty((len(aligned), 0), dtype=np.float32)
        # finite values past float32's range (1e300) become its largest: still the largest value, not an infinity
        return np.asarray(np.clip(np.column_stack(cols), -F32_MAX, F32_MAX), dtype=np.float32)

    def tree_categorical_mask(self) -> list[bool]:
        return [False] * len(self.numeric_names()) + [True] * len(self.cat_names)

    def tree_names(self) -> list[str]:
        return self.numeric_names() + self.cat_names

    # ---- distance flavour ----------------------------------------------------------------------------------
    def _distance_frame(self, aligned: pd.DataFrame) -> pd.DataFrame:
        # infinities (which the scaler refuses) and magnitudes whose squares overflow become +-1e15: still the
        # farthest values, never a crash
        arrays = [np.clip(a, -DISTANCE_BOUND, DISTANCE_BOUND) for a in self._numeric_arrays(aligned)]
        data: dict[str, Any] = dict(zip(self.numeric_names(), arrays, strict=True))
        for name in self.cat_names:
            data[name] = aligned[name].to_numpy(dtype=object)
        return pd.DataFrame(data, index=aligned.index)

    def distance_matrix(self, aligned: pd.DataFrame) -> np.ndarray:
        if self.distance is None:
            raise RuntimeError("this featurizer was fitted without the distance flavour")
        return np.asarray(self.distance.transform(self._distance_frame(aligned)), dtype=np.float64)

    def distance_names(self) -> list[str]:
        """Readable names of the distance columns: ``col`` or ``col = level``."""
        if self.distance is None:
            return []
        names = []
        for n in self.distance.get_feature_names_out():
            n = str(n)
            if n.startswith("missingindicator_"):
                names.append(f"{n[len('missingindicator_') :]} is missing")
                continue
            for cat in self.cat_names:
                if n.startswith(cat + "_"):
                    level = n[len(cat) + 1 :]
                    level = {MISSING_LEVEL: "missing"}.get(level, level)
                    level = "other" if level.startswith("infrequent") else quote(level)
                    n = f"{cat} = {level}"
                    break
            names.append(n)
        return names

    # ---- persistence ---------------------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {"schema": self.schema.to_dict(), "text": dict(self.text), "distance": self.distance}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Featurizer:
        return cls(Schema.from_dict(state["schema"]), state.get("text") or {}, state.get("distance"))
