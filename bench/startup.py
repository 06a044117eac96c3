"""Start-up time of `ostium start-dev`: process start to the first answered request."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import free_port

RUNS = 5


def time_to_ready(data_dir: Path) -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ostium",
            "start-dev",
            f"--http-port={port}",
            "--http-host=127.0.0.1",
            f"--data-dir={data_dir}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = started + 30
        while time.perf_counter() < deadline:
            try:
                if (
                    httpx.get(f"http://127.0.0.1:{port}/realms/master", timeout=1).status_code
                    == 200
                ):
                    return time.perf_counter() - started
            except httpx.HTTPError:
                time.sleep(0.005)
        raise RuntimeError("server did not start within 30 s")
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    fresh, warm = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            fresh.append(time_to_ready(Path(tmp)))
            warm.append(time_to_ready(Path(tmp)))
    for name, values in (
        ("first start (new data dir)", fresh),
        ("restart (existing data dir)", warm),
    ):
        print(
            f"{name:30s} median {statistics.median(values):.3f}s  min {min(values):.3f}s  max {max(values):.3f}s  (n={RUNS})"
        )


if __name__ == "__main__":
    main()
