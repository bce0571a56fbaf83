"""%%infer_train and %%infer in a real IPython InteractiveShell: every option, data sources, DEST, displays."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import jupyter_infer as ji
from jupyter_infer.notebook._display import ModelView, ResultView
from jupyter_infer.notebook._magics import InferMagics

from .conftest import fails, run

OPTIONS = {
    "infer": ["--export", "--force", "--format", "--anomaly-format", "-k", "--exclude-self", "--id-column",
              "--factor-scores", "--prob-columns", "--version", "--join", "--background", "--dask", "MODEL", "DEST"],
    "infer_train": ["--label", "--name", "--columns", "--param", "--background", "TYPE", "DEST"],
    "infer_status": ["JOB_ID", "--wait", "--cancel", "--all"],
}  # fmt: skip


def test_load_ext_registers_the_four_magics(ip):
    magics = ip.magics_manager.magics
    assert {"infer", "infer_train"} <= set(magics["cell"])
    assert {"infer_status", "infer_models"} <= set(magics["line"])


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_help_documents_every_option(ip, name):
    doc = getattr(InferMagics, name).__doc__
    for opt in OPTIONS[name]:
        assert opt in doc, f"{opt} missing from %{name}?"


def test_question_mark_help_shows_the_options(ip, capsys):
    ip.run_cell("%%infer?")
    out = capsys.readouterr().out
    assert "--anomaly-format" in out and "--export" in out


def test_train_with_dest_pushes_the_model_and_names_it_after_dest(ip):
    assert run(ip, "%%infer_train clustering km --param n_clusters=3\ndf") is None
    km = ip.user_ns["km"]
    assert isinstance(km, ji.Model)
    assert (km.name, km.model_type, km.metrics["n_clusters"]) == ("km", "clustering", 3)


def test_training_display_reports_dropped_columns(ip):
    """SPEC §5: unusable columns are dropped at training and reported, in the notebook too."""
    ip.user_ns["tagged"] = ip.user_ns["df"].assign(tags=[[1, 2]] * len(ip.user_ns["df"]))
    run(ip, "%%infer_train clustering kt --param n_clusters=3\ntagged")
    view = ModelView(ip.user_ns["kt"])
    assert "dropped tags (values are lists, structs or bytes)" in repr(view)
    assert "Dropped columns: tags (values are lists, structs or bytes)" in view._repr_html_()
    assert "Dropped columns" not in ModelView(run_train_plain(ip))._repr_html_()


def run_train_plain(ip) -> ji.Model:  # type: ignore[no-untyped-def]
    run(ip, "%%infer_train clustering kp --param n_clusters=3\ndf")
    return ip.user_ns["kp"]


def test_train_default_name_is_type_dash_data(ip, store_client):
    view = run(ip, "%%infer_train anomaly\ndf")
    assert view is None
    assert [m.name for m in store_client.models.list()] == ["anomaly-df"]


def test_a_second_label_on_the_same_data_trains_a_model_of_its_own(ip, store_client):
    """Unnamed, the same table with another label is ``TYPE-<data>-<label>`` (the Python API's rule), not a
    refused new version of ``TYPE-<data>``; the same label again is a new version."""
    for label in ("species", "island", "species"):
        run(ip, f"%%infer_train prediction --label {label} --param training_mode=fast\ndf")
    models = {m.name: (m.label_column, m.version) for m in store_client.models.list()}
    assert models == {"prediction-df": ("species", 2), "prediction-df-island": ("island", 1)}


def test_train_label_columns_and_params(ip):
    run(
        ip,
        "%%infer_train prediction clf --label species --columns bill_length_mm,bill_depth_mm,flipper_length_mm "
        "--param training_mode=fast task=classification\ndf",
    )
    clf = ip.user_ns["clf"]
    assert clf.label_column == "species"
    assert clf.input_columns == ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
    assert clf.record["current_version"]["params"]["training_mode"] == "fast"


def test_train_name_option_and_new_version(ip):
    run(ip, "%%infer_train embedding e1 --name emb\ndf")
    run(ip, "%%infer_train embedding e2 --name emb --param n_components=2\ndf")
    assert (ip.user_ns["e1"].name, ip.user_ns["e1"].version) == ("emb", 1)
    assert (ip.user_ns["e2"].name, ip.user_ns["e2"].version) == ("emb", 2)


EXPECTED = {
    "prediction": ["id", "prediction", "prediction_prob"],
    "clustering": ["id", "cluster_label", "cluster_description"],
    "anomaly": ["anomalous_ids"],
    "embedding": ["id", "dim_0"],
    "search": ["id", "match_id", "distance"],
    "factors": ["factor_id", "factor_description", "captured_variance"],
}


@pytest.mark.parametrize("model_type", sorted(EXPECTED))
def test_infer_each_type_gives_the_spec_columns_and_a_picture(ip, model_type):
    label = "--label species --param training_mode=fast" if model_type == "prediction" else ""
    run(ip, f"%%infer_train {model_type} m {label}\ndf")
    view = run(ip, "%%infer m\ndf")
    assert isinstance(view, ResultView)
    cols = list(view.df.columns)
    assert cols[: len(EXPECTED[model_type])] == EXPECTED[model_type]
    html = view._repr_html_()
    assert "<table" in html and 'class="ji-chart"' in html and "Reconciliation" in html
    assert "m</b> &middot; " + model_type in html
    if model_type not in ("factors", "anomaly"):
        assert len(view.df) == 344


def test_dest_gets_a_dataframe_and_the_table_is_not_shown(ip, monkeypatch):
    shown: list[object] = []
    monkeypatch.setattr("jupyter_infer.notebook._cell_infer.display", lambda obj, **kw: shown.append(obj))
    run(ip, "%%infer_train clustering km\ndf")
    assert run(ip, "%%infer km out\ndf") is None
    out = ip.user_ns["out"]
    assert isinstance(out, pd.DataFrame) and len(out) == 344
    views = [o for o in shown if isinstance(o, ResultView)]
    assert len(views) == 1 and views[0].df is out
    html = views[0]._repr_html_()
    assert 'class="dataframe"' not in html and "Stored in <code>out</code>" in html
    table = run(ip, "%%infer km\ndf")._repr_html_()
    assert 'class="dataframe"' in table


def test_table_is_truncated_with_a_footer_and_max_rows_config(ip):
    run(ip, "%%infer_train clustering km\ndf")
    run(ip, "%config InferMagics.max_rows = 5")
    html = run(ip, "%%infer km\ndf")._repr_html_()
    assert "Showing the first 5 of 344 rows" in html
    assert html.count("<tr>") - html.count("ji-chart") >= 5


def test_an_invalid_max_rows_is_refused_and_the_previous_value_kept(ip):
    run(ip, "%config InferMagics.max_rows = 7")
    run(ip, "%config InferMagics.max_rows = -1")  # logged by IPython's %config; the setting must not change
    magics = ip.magics_manager.registry["InferMagics"]
    assert magics.max_rows == 7
    run(ip, "%%infer_train clustering km\ndf")
    assert "Showing the first 7 of 344 rows" in run(ip, "%%infer km\ndf")._repr_html_()


def test_join_puts_input_columns_beside_the_output(ip):
    run(ip, "%%infer_train clustering km\ndf")
    run(ip, "%%infer km out --join\ndf")
    out = ip.user_ns["out"]
    assert list(out.columns[:8]) == list(ip.user_ns["df"].columns)
    assert {"cluster_label", "cluster_description"} <= set(out.columns) and "id" not in out.columns
    assert (out["species"] == ip.user_ns["df"]["species"]).all()


def test_join_pictures_the_models_output_not_an_input_column_of_the_same_name(ip):
    """The input has its own "prediction" column: the joined table keeps both, and the picture counts what the
    model predicted (it counted the input's column: "X 5 100%" above a table of Adelie)."""
    run(ip, "%%infer_train prediction sp --label species --param training_mode=fast\ndf")
    ip.user_ns["pj"] = ip.user_ns["df"].drop(columns="species").head(5).assign(prediction="X", prediction_prob=1.0)
    view = run(ip, "%%infer sp --join\npj")
    predicted = view.result.to_pandas()["prediction"]
    chart = view._repr_html_().split("Predicted classes")[1].split("Probability of the predicted class")[0]
    assert ">X<" not in chart and f">{predicted.iloc[0]}<" in chart, chart


def test_join_refuses_per_factor_results(ip):
    run(ip, "%%infer_train factors f\ndf")
    err = fails(ip, "%%infer f --join\ndf")
    assert isinstance(err, ji.OptionError) and "one result row per input row" in str(err)


def test_factor_scores_and_prob_columns_are_flags_of_infer(ip):
    """Every inference option is a flag of %%infer (made from InferOptions.fields()), these two included."""
    run(ip, "%%infer_train factors f --param n_factors=2\ndf")
    run(ip, "%%infer f scores --factor-scores\ndf")
    assert list(ip.user_ns["scores"].columns) == ["id", "factor_0", "factor_1"]
    run(ip, "%%infer_train prediction clf --label species --param training_mode=fast\ndf")
    run(ip, "%%infer clf probs --prob-columns\ndf")
    assert {"prob_Adelie", "prob_Chinstrap", "prob_Gentoo"} <= set(ip.user_ns["probs"].columns)


def test_id_column_values_become_the_ids(ip):
    ip.user_ns["df"]["key"] = [f"p{i}" for i in range(344)]
    run(ip, "%%infer_train clustering km --columns bill_length_mm,bill_depth_mm\ndf")
    run(ip, "%%infer km out --id-column key\ndf")
    assert ip.user_ns["out"]["id"].tolist()[:3] == ["p0", "p1", "p2"]


def test_version_pins_an_older_model_version(ip):
    run(ip, "%%infer_train clustering v1 --name km --param n_clusters=2\ndf")
    run(ip, "%%infer_train clustering v2 --name km --param n_clusters=4\ndf")
    old = ip.user_ns["v1"].version_id
    run(ip, f"%%infer km out --version {old}\ndf")
    assert ip.user_ns["out"]["cluster_label"].nunique() == 2
    run(ip, "%%infer km latest\ndf")
    assert ip.user_ns["latest"]["cluster_label"].nunique() == 4


def test_search_k_and_exclude_self(ip):
    run(ip, "%%infer_train search s\ndf")
    run(ip, "%%infer s out -k 3 --exclude-self\ndf")
    out = ip.user_ns["out"]
    assert list(out.columns) == ["id", "match_id", "distance", "rank"]
    assert len(out) == 3 * 344 and not (out["id"] == out["match_id"]).any()


def test_anomaly_format_per_row(ip):
    run(ip, "%%infer_train anomaly a\ndf")
    run(ip, "%%infer a ids\ndf")
    run(ip, "%%infer a rows --anomaly-format per_row\ndf")
    rows = ip.user_ns["rows"]
    assert list(rows.columns) == ["id", "is_anomaly", "anomaly_score"]
    assert sorted(rows.loc[rows["is_anomaly"], "id"]) == sorted(ip.user_ns["ids"]["anomalous_ids"])
    html = run(ip, "%%infer a --anomaly-format per_row\ndf")._repr_html_()
    assert "threshold" in html


def test_model_variable_id_and_name_all_resolve(ip):
    run(ip, "%%infer_train clustering km\ndf")
    mid = ip.user_ns["km"].id
    ip.user_ns["handle"] = ip.user_ns["km"]
    for word in ("handle", mid, "km"):
        assert len(run(ip, f"%%infer {word}\ndf")) == 344


class TestDataSources:
    @pytest.fixture
    def km(self, ip):
        run(ip, "%%infer_train clustering km --columns bill_length_mm,bill_depth_mm,body_mass_g\ndf")
        return ip

    def test_bare_path_string_and_path_object(self, km, penguins, tmp_path):
        Path("data").mkdir()
        penguins.to_csv("data/new.csv", index=False)
        penguins.to_parquet(tmp_path / "p.parquet")
        km.user_ns["p"] = tmp_path / "p.parquet"
        km.user_ns["s"] = "data/new.csv"
        for body in ("data/new.csv", "'data/new.csv'", "s", "p"):
            assert len(run(km, f"%%infer km\n{body}")) == 344, body

    def test_json_records_lines_and_columns(self, km, penguins):
        penguins.head(10).to_json("rec.json", orient="records")
        penguins.head(10).to_json("lines.jsonl", orient="records", lines=True)
        cols = penguins.head(10).astype(object).where(penguins.head(10).notna(), None).to_dict(orient="list")
        Path("cols.json").write_text(json.dumps(cols))
        for f in ("rec.json", "lines.jsonl", "cols.json"):
            assert len(run(km, f"%%infer km\n{f}")) == 10, f

    def test_arrow_table_and_dataset(self, km, penguins, store_client):
        km.user_ns["t"] = pa.Table.from_pandas(penguins.head(7))
        assert len(run(km, "%%infer km\nt")) == 7
        store_client.datasets.create(penguins.head(11), name="few")
        assert len(run(km, "%%infer km\ndataset:few")) == 11
        run(km, "%%infer km out --join\ndataset:few")
        assert len(km.user_ns["out"]) == 11 and "species" in km.user_ns["out"]

    def test_training_on_a_stored_dataset_and_on_a_file(self, km, penguins, store_client):
        store_client.datasets.create(penguins, name="pengs")
        run(km, "%%infer_train anomaly a\ndataset:pengs")
        assert km.user_ns["a"].training_dataset_name == "pengs"
        penguins.to_parquet("train.parquet")
        run(km, "%%infer_train embedding\ntrain.parquet")
        assert "embedding-train" in [m.name for m in store_client.models.list()]

    def test_comments_and_blank_lines_in_the_body_are_ignored(self, km):
        assert len(run(km, "%%infer km\n# the new rows\n\ndf.head(5)\n")) == 5


class TestExport:
    @pytest.fixture
    def km(self, ip):
        run(ip, "%%infer_train clustering km\ndf")
        return ip

    @pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
    def test_each_format_by_extension(self, km, fmt, capsys):
        run(km, f"%%infer km out --export result.{fmt}\ndf")
        p = Path(f"result.{fmt}")
        if fmt == "csv":
            back = pd.read_csv(p)
            assert list(back.columns) == ["id", "cluster_label", "cluster_description"] and len(back) == 344
        elif fmt == "json":
            obj = json.loads(p.read_text())
            assert set(obj) == {"id", "cluster_label", "cluster_description"} and len(obj["id"]) == 344
        else:
            t = pq.read_table(p)
            meta = {k.decode(): v.decode() for k, v in t.schema.metadata.items()}
            assert t.num_rows == 344 and meta["model_name"] == "km" and meta["model_type"] == "clustering"
            assert "cluster_descriptions" in meta and "reconciliation" in meta
        assert f"Wrote 344 rows as {fmt} to result.{fmt}" in capsys.readouterr().out

    def test_format_overrides_the_extension(self, km):
        run(km, "%%infer km --export out.txt --format json\ndf")
        assert len(json.loads(Path("out.txt").read_text())["id"]) == 344

    def test_existing_file_is_kept_unless_force(self, km):
        Path("r.csv").write_text("keep me\n")
        err = fails(km, "%%infer km --export r.csv\ndf")
        assert isinstance(err, ji.ConflictError) and "--force" in str(err)
        assert Path("r.csv").read_text() == "keep me\n"
        run(km, "%%infer km --export r.csv --force\ndf")
        assert len(pd.read_csv("r.csv")) == 344

    def test_join_exports_the_joined_table(self, km):
        run(km, "%%infer km --export j.csv --join\ndf")
        assert "species" in pd.read_csv("j.csv").columns


def test_model_view_shows_metrics_and_descriptions(ip):
    run(ip, "%%infer_train clustering km\ndf")
    view = ModelView(ip.user_ns["km"])
    html = view._repr_html_()
    assert "silhouette_score" in html and "cluster descriptions" in html
    assert "Trained clustering model 'km' v1" in repr(view)
