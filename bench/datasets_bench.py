"""`make bench`: how long a 1,000,000-row CSV takes from upload to `ready`, as a user sees it.

The issue's targets, on a 2-core machine: upload → ready (parse, Parquet, full profile) in at
most 20 s, the worker's peak memory under 2 GB, and the first page of the dataset's preview
rendered in under 200 ms of server time. The time is printed beside a bare
`pyarrow.csv.read_csv` of the same file, the floor no ingestion can beat.

Everything runs for real and in private: a temporary AUTOML_VAR_DIR (SQLite, media, an
embedded Redis), `manage.py migrate`, uvicorn and one Celery worker (concurrency 1). The file
is streamed to `POST /api/v1/datasets/` and the dataset polled until ready, while a thread
samples the worker's memory. Everything is stopped and deleted at the end, also on Ctrl-C.

    python -m bench.datasets_bench [--rows 1000000] [--keep] [--report-only]

Exit code: 0 when every target passes, 1 when one fails, 2 when the run itself broke.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .private_platform import BenchError, MemorySampler, Platform, private_environment

TARGET_TOTAL_S = 20.0
TARGET_MEMORY_MB = 2048.0
TARGET_PREVIEW_MS = 200.0
CHUNK_ROWS = 100_000

# --- The file ---------------------------------------------------------------------------

WORDS = np.array(
    ["late", "fee", "great", "app", "slow", "support", "cheap", "plan", "renew", "cancel", "price", "fast",
     "help", "login", "bug", "refund", "love", "hate", "ok", "email", "call", "upgrade", "trial"]
)  # fmt: skip
REGIONS = np.array(
    ["North", "South", "East", "West", "Centre", "Coast", "Hills", "Lakes", "Metro", "Rural", "Islands", "Border"]
)


def _chunk(rng: np.random.Generator, start: int, n: int) -> pa.Table:
    """`n` rows of the benchmark table: 9 numeric, 6 categorical, 2 dates, a boolean, an id,
    a short free text and an imbalanced categorical target, with missing values here and there."""

    def missing(share: float) -> np.ndarray:
        return rng.random(n) < share

    def floats(values: np.ndarray, decimals: int, share: float = 0.0) -> pa.Array:
        return pa.array(np.round(values, decimals), mask=missing(share) if share else None)

    def labels(levels: np.ndarray, codes: np.ndarray, share: float = 0.0) -> pa.Array:
        return pc.take(pa.array(levels), pa.array(codes, mask=missing(share) if share else None))

    cities = np.array([f"City{i:03d}" for i in range(500)])
    products = np.array([f"P{i:04d}" for i in range(5000)])
    day0 = np.datetime64("2018-01-01")
    signup = day0 + rng.integers(0, 6 * 365, n).astype("timedelta64[D]")
    last_seen = signup + rng.integers(0, 400, n).astype("timedelta64[D]")
    words = [pa.array(WORDS[rng.integers(0, len(WORDS), n)]) for _ in range(3)]
    churn = rng.random(n) < 0.12
    columns = {
        "customer_id": pa.array(np.arange(start + 1, start + n + 1)),
        "age": pa.array(rng.integers(18, 90, n)),
        "income": floats(rng.normal(52_000, 18_000, n).clip(0), 0, 0.05),
        "balance": floats(rng.lognormal(6, 1.4, n), 2),
        "score": floats(rng.random(n), 3, 0.05),
        "visits": pa.array(rng.poisson(3, n)),
        "tenure_months": pa.array(rng.integers(0, 120, n)),
        "discount": floats(rng.random(n) * 0.3, 2, 0.05),
        "temperature": floats(rng.normal(15, 8, n), 1),
        "plan": labels(np.array(["basic", "pro", "team"]), rng.choice(3, n, p=[0.6, 0.3, 0.1])),
        "region": labels(REGIONS, rng.integers(0, len(REGIONS), n), 0.05),
        "city": labels(cities, rng.zipf(1.3, n) % len(cities)),
        "product": labels(products, rng.integers(0, len(products), n)),
        "channel": labels(np.array(["web", "store"]), rng.integers(0, 2, n)),
        "coupon": labels(np.array(["SPRING", "SUMMER", "VIP", "WELCOME"]), rng.integers(0, 4, n), 0.6),
        "signup_date": pa.array(signup),
        "last_seen": pa.array(last_seen),
        "active": labels(np.array(["yes", "no"]), (rng.random(n) < 0.3).astype(np.int8)),
        "comment": pc.binary_join_element_wise(*words, " "),
        "churned": labels(np.array(["stayed", "churned"]), churn.astype(np.int8)),
    }
    return pa.table(columns)


def generate_csv(path: str | os.PathLike, rows: int, *, seed: int = 7) -> int:
    """Write a seeded CSV of `rows` rows × 20 columns in chunks; return its size in bytes."""
    rng = np.random.default_rng(seed)
    writer = None
    try:
        for start in range(0, rows, CHUNK_ROWS):
            table = _chunk(rng, start, min(CHUNK_ROWS, rows - start))
            if writer is None:
                # No quotes: none of the values holds a comma, and real exports rarely quote.
                options = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
                writer = pacsv.CSVWriter(str(path), table.schema, write_options=options)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return os.path.getsize(path)


def bare_read_seconds(path: str | os.PathLike, repeats: int = 3) -> list[float]:
    """Seconds of each of `repeats` plain `pyarrow.csv.read_csv` runs (the first also warms the
    page cache, so the best one is the floor)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        table = pacsv.read_csv(str(path))
        times.append(time.perf_counter() - start)
        del table
    return times


def make_owner() -> dict:
    """A user with a workspace, a project, an API token and a signed-in session."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import ApiToken, User
    from projects import services

    user = User.objects.create_user(email="bench@example.com", password=uuid.uuid4().hex)
    workspace = services.create_workspace(actor=user, name="Benchmark")
    # With a target, the profile also analyses it (classes, associations, leakage): the full path.
    project = services.create_project(
        actor=user, workspace=workspace, name="Ingestion", problem_type="classification", target_column="churned"
    )
    token = ApiToken.issue(user=user, name="bench")[1]
    client = Client()
    client.force_login(user)
    return {
        "user": user,
        "project": project,
        "token": token,
        "client": client,
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


# --- Talking to the server ------------------------------------------------------------------


def _connection(url: str, timeout: float = 120) -> http.client.HTTPConnection:
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def upload(url: str, token: str, project_id: int, path: Path, name: str) -> dict:
    """The file as a new dataset of the project; the created dataset's JSON."""
    return post_file(url, token, "/api/v1/datasets/", {"project": project_id, "name": name}, path)


def post_file(url: str, token: str, endpoint: str, fields: dict, path: Path) -> dict:
    """POST `fields` and the file as multipart, streamed from disk in 1 MB chunks; the JSON answer."""
    boundary = uuid.uuid4().hex
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in fields.items()
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
    head += "Content-Type: text/csv\r\n\r\n"
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body():
        yield head.encode()
        with open(path, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                yield chunk
        yield tail

    length = len(head.encode()) + path.stat().st_size + len(tail)
    conn = _connection(url, timeout=600)
    conn.request(
        "POST",
        endpoint,
        body=body(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
            "Accept": "application/json",
        },
    )
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.status not in (201, 202):
        raise BenchError(f"The upload was refused ({response.status}): {payload[:500].decode(errors='replace')}")
    return json.loads(payload)


def get_json(conn: http.client.HTTPConnection, path: str, token: str) -> dict:
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    response = conn.getresponse()
    payload = response.read()
    if response.status != 200:
        raise BenchError(f"GET {path} answered {response.status}: {payload[:300].decode(errors='replace')}")
    return json.loads(payload)


def wait_ready(url: str, token: str, dataset_id: int, timeout: float) -> dict:
    """Poll the dataset every 100 ms until ready; timestamp each processing stage on the way."""
    conn = _connection(url)
    start = time.time()
    stages: list[tuple[float, str, int]] = []
    try:
        while True:
            data = get_json(conn, f"/api/v1/datasets/{dataset_id}/", token)
            stage = data.get("stage") or "Queued"
            if not stages or stages[-1][1] != stage:
                stages.append((time.time(), stage, data.get("progress") or 0))
            if data.get("status") == "ready":
                return {"ready_at": time.time(), "stages": stages}
            if data.get("status") == "failed":
                raise BenchError(f"Processing failed: {data.get('error') or data}")
            if time.time() - start > timeout:
                raise BenchError(f"Not ready after {timeout:.0f} s (last stage: {stage})")
            time.sleep(0.1)
    finally:
        conn.close()


def _server_ms(header: str | None) -> float | None:
    match = re.search(r"(?:^|,)\s*app;dur=([\d.]+)", header or "")
    return float(match.group(1)) if match else None


def measure_get(url: str, path: str, headers: dict, repeats: int) -> dict:
    """GET `path` `repeats` times: the `Server-Timing: app;dur=` of each (when sent), and the
    wall time seen by the client (an upper bound that includes HTTP on localhost)."""
    server, wall = [], []
    conn = _connection(url)
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            wall.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                raise BenchError(f"GET {path} answered {response.status}")
            ms = _server_ms(response.getheader("Server-Timing"))
            if ms is not None:
                server.append(ms)
    finally:
        conn.close()
    return {"server": server, "wall": wall}


def measure_in_process(client, dataset_id: int, path: str, repeats: int) -> dict:
    """The same page rendered by Django in this process (no HTTP), and `read_page` alone."""
    from datasets.models import Dataset
    from datasets.preview import read_page

    version = Dataset.objects.get(pk=dataset_id).ready_version()
    read, render = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        read_page(version, offset=0, limit=50)
        read.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        response = client.get(path)
        render.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise BenchError(f"In-process GET {path} answered {response.status_code}")
    return {"read_page": read, "render": render}


# --- Reporting ------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (with 10 samples, p95 is the slowest)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(np.ceil(share * len(ordered))) - 1))]


def stage_table(upload_done: float, started_at: float | None, stages: list, ready_at: float) -> list[str]:
    """One line per stage with how long it lasted (polled every 100 ms, so ± 0.1 s)."""
    lines = []
    if started_at:
        lines.append(f"  {'waiting in the queue':<28} {max(0.0, started_at - upload_done):6.2f} s")
    marks = [*(mark for mark in stages if mark[1] != "Ready"), (ready_at, "Ready", 100)]
    for (at, stage, progress), (next_at, _, _) in zip(marks, marks[1:], strict=False):
        lines.append(f"  {stage:<28} {next_at - at:6.2f} s   (from {at - upload_done:5.2f} s, {progress}%)")
    return lines


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


# --- The run ------------------------------------------------------------------------------


def _run(args, var_dir: Path, stack: ExitStack) -> list[tuple[str, str, str, str]]:
    print(f"Private folder: {var_dir}")
    csv_path = var_dir / "bench.csv"
    start = time.perf_counter()
    size = generate_csv(csv_path, args.rows)
    print(f"Generated {csv_path.name}: {args.rows:,} rows × 20 columns, {size / 1e6:,.1f} MB "
          f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
    bare = bare_read_seconds(csv_path, args.repeats)
    print("Bare pyarrow.csv.read_csv: " + ", ".join(f"{t:.2f} s" for t in bare) + f" (best of {len(bare)})")

    import django

    django.setup()
    platform = Platform(var_dir)
    stack.callback(platform.stop)
    print("Starting a private platform (embedded Redis, SQLite, uvicorn, one Celery worker)…")
    platform.start()
    owner = make_owner()

    sampler = MemorySampler(platform.procs["worker"].pid)
    sampler.start()
    stack.callback(lambda: sampler.is_alive() and sampler.stop())
    upload_start = time.time()
    created = upload(platform.url, owner["token"], owner["project"].pk, csv_path, "Benchmark")
    upload_done = time.time()
    print(f"Uploaded in {upload_done - upload_start:.2f} s; waiting for ready…")
    polled = wait_ready(platform.url, owner["token"], created["id"], args.timeout)
    sampler.stop()
    ready_at = polled["ready_at"]

    from datasets.models import Dataset

    version = Dataset.objects.get(pk=created["id"]).ready_version()
    started_at = version.started_at.timestamp() if version.started_at else None
    print("\nWhere the time went (upload done = 0):")
    print("\n".join(stage_table(upload_done, started_at, polled["stages"], ready_at)))
    if version.started_at and version.finished_at:
        print(f"  worker's own run (started_at → finished_at): {version.duration.total_seconds():.2f} s")

    from django.conf import settings

    page = f"/datasets/{created['id']}/"
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={owner['session']}"}
    http_times = measure_get(platform.url, page, cookie, args.page_repeats)
    api_page = f"/api/v1/datasets/{created['id']}/preview/?limit=50"
    api_times = measure_get(platform.url, api_page, {"Authorization": f"Bearer {owner['token']}"}, args.page_repeats)
    local = measure_in_process(owner["client"], created["id"], page, args.page_repeats)
    print(f"\nPreview first page, {page} × {args.page_repeats}:")
    if http_times["server"]:
        print("  server time (Server-Timing app;dur): " + ", ".join(f"{t:.0f}" for t in http_times["server"]) + " ms")
    else:
        print("  the page sent no Server-Timing header; judging on the client's wall time instead")
    print("  client wall time over HTTP:          " + ", ".join(f"{t:.0f}" for t in http_times["wall"]) + " ms")
    print("  API preview, client wall time:       " + ", ".join(f"{t:.0f}" for t in api_times["wall"]) + " ms")
    print("  in-process render (Django client):   " + ", ".join(f"{t:.0f}" for t in local["render"]) + " ms")
    print("  in-process read_page(0, 50) alone:   " + ", ".join(f"{t:.0f}" for t in local["read_page"]) + " ms")

    root = sampler.root.pid
    main_peak = sampler.peak_by_pid.get(root, 0)
    child_peak = max((rss for pid, rss in sampler.peak_by_pid.items() if pid != root), default=0)
    kernel_peak = sampler.kernel_peak()
    print(f"\nWorker memory, sampled every 50 ms: main process {main_peak / 2**20:,.0f} MB, pool child "
          f"{child_peak / 2**20:,.0f} MB, together {sampler.peak_total / 2**20:,.0f} MB; "
          f"kernel high-water marks summed: {kernel_peak / 2**20:,.0f} MB")  # fmt: skip
    during = [stage for at, stage, _ in polled["stages"] if at <= sampler.peak_at]
    if during:
        print(f"  the sampled peak came during “{during[-1]}”")

    total = ready_at - upload_start
    peak = max(sampler.peak_total, kernel_peak)
    preview = http_times["server"] or http_times["wall"]
    preview_what = "server" if http_times["server"] else "client wall"
    preview_median = statistics.median(preview)
    best_bare = min(bare)
    return [
        ("figure", "measured", "target", "result"),
        ("CSV size", f"{size / 1e6:,.1f} MB ({args.rows:,} rows)", "about 120 MB", ""),
        ("bare pyarrow.csv.read_csv (best)", f"{best_bare:.2f} s", "", ""),
        ("upload (HTTP POST → 201)", f"{upload_done - upload_start:.2f} s", "", ""),
        ("processing (201 → ready)", f"{ready_at - upload_done:.2f} s", "", ""),
        ("upload → ready", f"{total:.2f} s", f"≤ {TARGET_TOTAL_S:.0f} s", verdict(total <= TARGET_TOTAL_S)),
        ("ratio to bare read", f"{total / best_bare:.1f}×", "", ""),
        ("worker peak memory (worker + children)", f"{peak / 2**20:,.0f} MB", f"< {TARGET_MEMORY_MB:,.0f} MB",
         verdict(peak / 2**20 < TARGET_MEMORY_MB)),
        (f"preview first page, {preview_what} median", f"{preview_median:.0f} ms", f"< {TARGET_PREVIEW_MS:.0f} ms",
         verdict(preview_median < TARGET_PREVIEW_MS)),
        (f"preview first page, {preview_what} p95", f"{percentile(preview, 0.95):.0f} ms", "", ""),
    ]  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated CSV")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the bare read_csv (best counts)")
    parser.add_argument("--page-repeats", type=int, default=10, help="requests of the preview page")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for ready")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, files)")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when a target fails")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return run_private(parse_args(argv), "automl-bench-", _run)


def run_private(args, prefix: str, run) -> int:
    """Run `run(args, var_dir, stack)` on a private platform in a temporary folder and print its
    table of figures; stops what it started and deletes the folder (unless `--keep`), also on
    Ctrl-C. Exit code: 0 when every target passes, 1 when one fails, 2 when the run broke."""
    # Short and private: the embedded Redis listens on a Unix socket inside it (~100 chars max).
    var_dir = Path(tempfile.mkdtemp(prefix=prefix))
    private_environment(var_dir)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term), signal.signal(signal.SIGINT, signal.default_int_handler)
    platform_logs = var_dir / "logs"
    try:
        with ExitStack() as stack:
            if not args.keep:
                stack.callback(shutil.rmtree, var_dir, ignore_errors=True)
            try:
                rows = run(args, var_dir, stack)
            except BenchError as exc:
                print(f"\nThe benchmark could not finish: {exc}", file=sys.stderr)
                for name in ("web", "worker"):
                    tail = _tail(platform_logs / f"{name}.log")
                    if tail:
                        print(f"--- last lines of the {name} log ---\n{tail}", file=sys.stderr)
                return 2
        print()
        print_table(rows)
        if args.keep:
            print(f"\nKept {var_dir} (logs in {platform_logs}).")
        failed = any(row[3] == "FAIL" for row in rows)
        return 1 if failed and not args.report_only else 0
    except KeyboardInterrupt:
        print("\nInterrupted; everything started has been stopped.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


if __name__ == "__main__":
    sys.exit(main())
