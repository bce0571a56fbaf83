"""Every error fails the cell with one short line naming the problem (did-you-mean where one fits)."""

from __future__ import annotations

import pytest

import jupyter_infer as ji

from .conftest import fails, run


def rendered(shell, src: str, capsys) -> tuple[BaseException, str]:
    err = fails(shell, src)
    return err, capsys.readouterr().out


def test_unknown_model_is_one_line_with_did_you_mean(ip, capsys):
    run(ip, "%%infer_train clustering kmeans\ndf")
    capsys.readouterr()
    err, out = rendered(ip, "%%infer kmaens\ndf", capsys)
    assert isinstance(err, ji.NotFoundError)
    assert 'Did you mean "kmeans"?' in str(err)
    assert "Traceback" not in out and out.strip().count("\n") == 0 and "NotFoundError" in out


def test_bad_argument_fails_the_cell_as_an_error_with_did_you_mean(ip, capsys):
    run(ip, "%%infer_train clustering km\ndf")
    capsys.readouterr()
    err, out = rendered(ip, "%%infer km --exprot out.csv\ndf", capsys)
    assert isinstance(err, ji.OptionError)  # not a UsageError: those do not fail a cell under nbval
    assert "unrecognized arguments: --exprot" in str(err) and 'Did you mean "--export"?' in str(err)
    assert "Traceback" not in out


# (cell, what its error says): %%infer_train; the same test runs every list
TRAIN_ERRORS = [
    ("%%infer_train clusterin\ndf", 'Did you mean "clustering"?'),
    ("%%infer_train clustering --param n_clustres=3\ndf", 'Did you mean "n_clusters"?'),
    ("%%infer_train clustering --param n_clusters\ndf", "--param takes KEY=VALUE"),
    ("%%infer_train prediction --label specie\ndf", "specie"),
    ("%%infer_train clustering\n# no data here", "needs data in the cell body"),
    ("%%infer_train clustering\ndff", 'Did you mean "df"?'),
    ("%%infer_train clustering\nmissing/file.csv", "No such file"),
    ("%%infer_train clustering\n[1, 2]", "is a list"),
    ("%%infer_train clustering 1bad\ndf", "cannot be a variable name"),
    ("%%infer_train clustering class\ndf", '"class" cannot be a variable name (it is a Python keyword)'),
    ("%%infer_train clustering --columns ,\ndf", "--columns takes"),
    ("%%infer_train\ndf", "the following arguments are required: TYPE"),
]
# %%infer, on a clustering model "km" that exists
INFER_ERRORS = [
    ("%%infer km -k 3\ndf", "k applies to search models only"),
    ("%%infer km --anomaly-format per_row\ndf", "anomaly_format applies to anomaly models only"),
    ("%%infer km --anomaly-format perrow\ndf", 'Unknown anomaly_format "perrow"'),  # checked by InferOptions
    ("%%infer km --anomaly-format perrow\ndf", 'Did you mean "per_row"?'),
    ("%%infer km --export out.csv --format xlsx\ndf", 'Unknown output type "xlsx"'),
    ("%%infer km --force\ndf", "--force applies to --export"),
    ("%%infer km --format csv\ndf", "--format chooses the --export file format"),
    ("%%infer km --export out.xlsx\ndf", "Cannot tell the format"),
    ("%%infer km --version mdlv_NOPE\ndf", "mdlv_NOPE"),
    ("%%infer km --id-column nope\ndf", "nope"),
    ("%%infer km\ndataset:nope", "nope"),
    ("%%infer km\n1/0", "ZeroDivisionError"),
]
# %infer_status and %infer_models
STATUS_ERRORS = [
    ("%infer_status --wait", "need a JOB_ID"),
    ("%infer_status job_NOPE", "job_NOPE"),
    ("%infer_status job_X --wait --cancel", "Choose one"),
    ("%infer_status --bogus", "unrecognized arguments"),
    ("%infer_models extra", "unrecognized arguments"),
]


@pytest.mark.parametrize(("src", "needle"), TRAIN_ERRORS + INFER_ERRORS + STATUS_ERRORS)
def test_errors_name_the_problem(ip, src, needle):
    if src.startswith("%%infer "):
        run(ip, "%%infer_train clustering km\ndf")
    err = fails(ip, src)
    assert isinstance(err, ji.InferError), repr(err)
    assert needle in str(err)


def test_short_errors_off_shows_the_traceback(ip, capsys):
    run(ip, "%config InferMagics.short_errors = False")
    capsys.readouterr()
    err, out = rendered(ip, "%%infer nosuch\ndf", capsys)
    assert isinstance(err, ji.NotFoundError)
    assert "Traceback" in out or "_cell_infer.py" in out or "_magics.py" in out


def test_failed_job_fails_the_cell_with_the_job_message(ip, capsys):
    run(ip, "%%infer_train clustering km\ndf")
    with open("empty.csv", "w") as f:
        f.write("bill_length_mm,bill_depth_mm\n")
    capsys.readouterr()
    err, out = rendered(ip, "%%infer km\nempty.csv", capsys)
    assert isinstance(err, (ji.JobFailed, ji.InputError)) and "no rows" in str(err)
    assert "Traceback" not in out
