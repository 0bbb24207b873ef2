"""`make bench`: serving a model as `make run` serves it, single rows over REST and a file of a
million rows on a worker.

The issue's targets, on a 2-core machine, with an XGBoost model trained on UCI Adult: a
single-row `POST /api/v1/models/{id}/predict/` answered in at most 10 ms of server time at the
median and 30 ms at the 95th percentile while 8 clients send requests at once; 1,000,000 rows
predicted end to end (upload → result stored) in at most 60 s. Each is printed beside the bare
`predict_proba` of the loaded model on the same rows, and the overhead ratio; single rows also
beside the server's own model call (the model's compiled form, `training/automl/compiled.py`),
so the ratio to it is what the platform adds around the model. The same rows are then sent through
the project's `production` alias (`POST /api/v1/projects/{id}/predict/`), which reads the
project's aliases on every request; its figures are printed without a target.

Everything runs for real and in private, as in `datasets_bench`: a temporary AUTOML_VAR_DIR
(SQLite, media, an embedded Redis), uvicorn and one Celery worker on both queues. The Adult
file is uploaded through the API, an XGBoost-only job trains on it, and the job's model (its
registered version) is what is served. Server time is the `Server-Timing: app;dur=` the server
reports (from the request reaching the application to its answer: authentication, checking,
predicting, logging the request); the clients' round trip, which adds HTTP and the wait for the
server's process, is printed too.

    python -m bench.serving_bench [--clients 8] [--requests 2000] [--rows 1000000] [--keep]

Exit code: 0 when every target passes, 1 when one fails, 2 when the run itself broke.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets_bench import (
    _connection,
    _server_ms,
    get_json,
    percentile,
    post_file,
    run_private,
    upload,
    verdict,
    wait_ready,
)
from .private_platform import BenchError, Platform
from .training_data import ADULT_COLUMNS, packages_dir

TARGET_P50_MS = 10.0
TARGET_P95_MS = 30.0
TARGET_BATCH_S = 60.0
ROOT = Path(__file__).resolve().parent.parent
FEATURES = [c for c in ADULT_COLUMNS if c != "income"]


def load_adult() -> pd.DataFrame:
    pkgs = packages_dir(ROOT / "var" / "bench")
    return pd.read_csv(
        pkgs / "mglearn" / "data" / "adult.data", header=None, names=ADULT_COLUMNS, skipinitialspace=True, na_values="?"
    )


def make_owner() -> dict:
    from accounts.models import ApiToken, User
    from projects import services

    user = User.objects.create_user(email="bench@example.com", password=uuid.uuid4().hex)
    workspace = services.create_workspace(actor=user, name="Benchmark")
    project = services.create_project(
        actor=user, workspace=workspace, name="Adult", problem_type="classification", target_column="income"
    )
    return {"project": project, "token": ApiToken.issue(user=user, name="bench")[1]}


def send_json(conn, method: str, path: str, token: str, body: dict) -> tuple[int, dict, str | None]:
    conn.request(
        method,
        path,
        body=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    response = conn.getresponse()
    payload = response.read()
    return response.status, json.loads(payload or b"{}"), response.getheader("Server-Timing")


def train(url: str, token: str, project_id: int, dataset_id: int, budget: int) -> dict:
    """An XGBoost-only job on Adult, waited for; its registered model version."""
    conn = _connection(url)
    options = {"algorithms": ["xgboost_classifier"], "ensemble": False}
    body = {
        "project": project_id,
        "dataset": dataset_id,
        "target": "income",
        "time_budget_s": budget,
        "options": options,
    }
    status, job, _ = send_json(conn, "POST", "/api/v1/jobs/", token, body)
    if status != 201:
        raise BenchError(f"The job was refused ({status}): {job}")
    deadline = time.monotonic() + budget * 1.1 + 120
    while True:
        job = get_json(conn, f"/api/v1/jobs/{job['id']}/", token)
        if job["status"] in ("succeeded", "failed", "cancelled"):
            break
        if time.monotonic() > deadline:
            raise BenchError(f"The job did not finish in time (status {job['status']}).")
        time.sleep(1)
    if job["status"] != "succeeded":
        raise BenchError(f"The job ended {job['status']}: {job.get('error')}")
    models = get_json(conn, f"/api/v1/models/?project={project_id}", token)["results"]
    conn.close()
    if not models:
        raise BenchError("The job's model was not registered.")
    return models[0]


def json_rows(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def single_rows(url: str, token: str, path: str, rows: list[dict], clients: int) -> dict:
    """`clients` threads, each on its own keep-alive connection, send the rows one per request."""
    server, wall, failures = [], [], []
    lock = threading.Lock()
    share = [rows[i::clients] for i in range(clients)]
    start = threading.Barrier(clients)

    def client(mine: list[dict]) -> None:
        conn = _connection(url)
        mine_server, mine_wall = [], []
        start.wait()
        try:
            for row in mine:
                began = time.perf_counter()
                status, body, timing = send_json(conn, "POST", path, token, {"rows": [row]})
                mine_wall.append((time.perf_counter() - began) * 1000)
                if status != 200:
                    failures.append(f"{status}: {body}")
                    continue
                ms = _server_ms(timing)
                if ms is not None:
                    mine_server.append(ms)
        finally:
            conn.close()
        with lock:
            server.extend(mine_server)
            wall.extend(mine_wall)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in share]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise BenchError(f"{len(failures)} requests failed, e.g. {failures[0][:300]}")
    return {"server": server, "wall": wall, "throughput": len(rows) / elapsed}


def bare_single(model, frames: list[pd.DataFrame]) -> list[float]:
    times = []
    for frame in frames:
        began = time.perf_counter()
        model.predict_proba(frame)
        times.append((time.perf_counter() - began) * 1000)
    return times


def by_alias(url: str, token: str, model_id: int, project_id: int, rows: list[dict], clients: int) -> dict:
    """The same rows through the project's `production` alias (what an integration that should
    not change with each new version calls)."""
    conn = _connection(url)
    status, body, _ = send_json(conn, "POST", f"/api/v1/models/{model_id}/aliases/", token, {"alias": "production"})
    conn.close()
    if status not in (200, 201):
        raise BenchError(f"Setting the production alias was refused ({status}): {body}")
    path = f"/api/v1/projects/{project_id}/predict/"
    single_rows(url, token, path, rows[: 4 * clients], clients)
    print(f"Sending them again through POST {path} (the production alias)…")
    return single_rows(url, token, path, rows, clients)


def compiled_single(compiled, values: list[dict]) -> list[float]:
    """The served model's own call (its compiled form) on the same rows, one at a time."""
    if compiled is None:
        raise BenchError("The served model has no compiled form; it is served by its pipeline.")
    times = []
    for checked in values:
        began = time.perf_counter()
        compiled.scores(checked, 1)
        times.append((time.perf_counter() - began) * 1000)
    return times


def batch(url: str, token: str, model_id: int, path: Path, timeout: float) -> dict:
    """Upload the file to `POST /api/v1/batch-predictions/` and poll until it is done."""
    began = time.time()
    created = post_file(url, token, "/api/v1/batch-predictions/", {"model": model_id, "output_format": "csv"}, path)
    uploaded = time.time()
    conn = _connection(url)
    stages: list[tuple[float, str]] = []
    try:
        while True:
            data = get_json(conn, f"/api/v1/batch-predictions/{created['id']}/", token)
            if not stages or stages[-1][1] != data["stage"]:
                stages.append((time.time(), data["stage"] or "Queued"))
            if data["status"] == "succeeded":
                return {"began": began, "uploaded": uploaded, "done": time.time(), "stages": stages, "batch": data}
            if data["status"] == "failed":
                raise BenchError(f"The batch failed: {data['error']}")
            if time.time() - began > timeout:
                raise BenchError(f"The batch did not finish in {timeout:.0f} s (stage: {data['stage']}).")
            time.sleep(0.1)
    finally:
        conn.close()


def _run(args, var_dir: Path, stack: ExitStack) -> list[tuple[str, str, str, str]]:
    print(f"Private folder: {var_dir}")
    adult = load_adult()
    adult_csv = var_dir / "adult.csv"
    adult.to_csv(adult_csv, index=False)
    import django

    django.setup()
    platform = Platform(var_dir)
    stack.callback(platform.stop)
    print("Starting a private platform (embedded Redis, SQLite, uvicorn, one Celery worker)…")
    platform.start(queues="default,training")
    owner = make_owner()
    token, project_id = owner["token"], owner["project"].pk

    dataset = upload(platform.url, token, project_id, adult_csv, "Adult")
    wait_ready(platform.url, token, dataset["id"], 300)
    print(f"Adult uploaded and profiled ({len(adult):,} rows); training an XGBoost-only job ({args.budget} s)…")
    model = train(platform.url, token, project_id, dataset["id"], args.budget)
    print(f"Serving model version {model['version']}: {model['name']} (holdout {model['metric']} "
          f"{model['metrics'].get(model['metric'], float('nan')):.4f}).")  # fmt: skip

    from training.automl.inputs import InputChecker
    from training.models import ModelVersion
    from training.predict import served

    version = ModelVersion.objects.get(pk=model["id"])
    loaded = served(version)  # the same load as the server's (hash checked), in this process
    rng = np.random.default_rng(args.seed)
    sample = adult[FEATURES].iloc[rng.integers(0, len(adult), args.requests)].reset_index(drop=True)
    rows = json_rows(sample)

    # Warm the server (the first request loads the model) before measuring.
    by_version = f"/api/v1/models/{model['id']}/predict/"
    single_rows(platform.url, token, by_version, rows[: 4 * args.clients], args.clients)
    print(f"Sending {len(rows):,} single-row requests from {args.clients} clients at once…")
    measured = single_rows(platform.url, token, by_version, rows, args.clients)
    measured["project"] = by_alias(platform.url, token, model["id"], project_id, rows, args.clients)
    checker = InputChecker(version.input_schema)
    frames = [checker.frame([row]) for row in rows]
    bare = bare_single(loaded.model, frames)
    compiled = compiled_single(loaded.compiled, [checker.values([row]) for row in rows])

    if not args.rows:
        return _single_row_figures(args, measured, bare, compiled)
    print(f"Making a {args.rows:,}-row file from Adult's rows…")
    big = adult[FEATURES].iloc[rng.integers(0, len(adult), args.rows)].reset_index(drop=True)
    big_csv = var_dir / "score.csv"
    big.to_csv(big_csv, index=False)
    size = big_csv.stat().st_size
    print(f"Scoring {big_csv.name} ({size / 1e6:,.0f} MB) through POST /api/v1/batch-predictions/…")
    run = batch(platform.url, token, model["id"], big_csv, args.timeout)
    end_to_end = run["done"] - run["began"]

    from datasets.ingest import read_table

    table, _, _ = read_table(str(big_csv), big_csv.name)  # as the worker reads it
    typed = checker.table(table)
    began = time.perf_counter()
    loaded.model.predict_proba(typed)
    bare_batch = time.perf_counter() - began

    print("\nWhere the batch's time went (request sent = 0):")
    print(f"  {'upload (POST → 202)':<34} {run['uploaded'] - run['began']:6.2f} s")
    marks = [*run["stages"], (run["done"], "Done")]
    for (at, stage), (next_at, _) in zip(marks, marks[1:], strict=False):
        print(f"  {stage:<34} {next_at - at:6.2f} s")

    return [
        *_single_row_figures(args, measured, bare, compiled),
        (f"{args.rows:,} rows, upload → result stored", f"{end_to_end:.1f} s", f"≤ {TARGET_BATCH_S:.0f} s",
         verdict(end_to_end <= TARGET_BATCH_S)),
        (f"{args.rows:,} rows, bare predict_proba", f"{bare_batch:.1f} s", "", ""),
        ("batch overhead ratio", f"{end_to_end / bare_batch:.1f}×", "", ""),
    ]  # fmt: skip


def _single_row_figures(args, measured: dict, bare: list[float], compiled: list[float]) -> list[tuple[str, ...]]:
    server, wall = measured["server"], measured["wall"]
    p50, p95 = statistics.median(server), percentile(server, 0.95)
    bare50, compiled50 = statistics.median(bare), statistics.median(compiled)
    alias = measured["project"]["server"]
    alias50, alias95 = statistics.median(alias), percentile(alias, 0.95)
    rate = measured["throughput"]
    print(f"\nSingle rows: {len(server):,} requests, {rate:,.0f} requests/s with {args.clients} clients.")
    print(f"  server time   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   p99 {percentile(server, 0.99):6.2f} ms")
    print(f"  round trip    p50 {statistics.median(wall):6.2f} ms   p95 {percentile(wall, 0.95):6.2f} ms "
          "(adds HTTP and the wait for the server's thread)")  # fmt: skip
    print(f"  by alias      p50 {alias50:6.2f} ms   p95 {alias95:6.2f} ms   "
          f"({measured['project']['throughput']:,.0f} requests/s; POST /api/v1/projects/N/predict/)")  # fmt: skip
    print("  on the same rows, one at a time, in this process:")
    print(f"    bare pipeline predict_proba (the saved model, pandas in)  p50 {bare50:.2f} ms, "
          f"p95 {percentile(bare, 0.95):.2f} ms")  # fmt: skip
    print(f"    the server's model call (its compiled form)                p50 {compiled50:.2f} ms, "
          f"p95 {percentile(compiled, 0.95):.2f} ms")  # fmt: skip
    return [
        ("figure", "measured", "target", "result"),
        ("single row, server time p50", f"{p50:.2f} ms", f"≤ {TARGET_P50_MS:.0f} ms", verdict(p50 <= TARGET_P50_MS)),
        ("single row, server time p95", f"{p95:.2f} ms", f"≤ {TARGET_P95_MS:.0f} ms", verdict(p95 <= TARGET_P95_MS)),
        ("single row by alias, server time p50 / p95", f"{alias50:.2f} / {alias95:.2f} ms", "", ""),
        ("single row, bare pipeline predict_proba p50", f"{bare50:.2f} ms", "", ""),
        ("single row, server p50 / bare pipeline p50", f"{p50 / bare50:.2f}×", "", ""),
        ("single row, compiled model call p50", f"{compiled50:.2f} ms", "", ""),
        ("single row, server p50 / compiled call p50", f"{p50 / compiled50:.1f}×", "", ""),
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for single rows")
    parser.add_argument("--requests", type=int, default=2000, help="single-row requests in all")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the batch file (0: no batch)")
    parser.add_argument("--budget", type=int, default=60, help="the training job's budget (s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the batch")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, files)")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when a target fails")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return run_private(parse_args(argv), "automl-serve-", _run)


if __name__ == "__main__":
    sys.exit(main())
