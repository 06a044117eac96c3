"""`run.py --profile DIR`: where Ostium's time goes, scenario by scenario.

After a scenario has been measured, it is run once more with py-spy sampling the server
(out of process; it pauses the server for each sample, which makes the stacks exact and
the second run slower), so the measured figures never carry the profiler's cost. Each scenario leaves `DIR/<scenario>.txt`, py-spy's collapsed
stacks (one line a stack, for flamegraph.pl or speedscope), and `DIR/README.md` sums up
the frames that cost most, as a share of the server's samples: own time (the frame
itself) and inclusive time (the frame and what it called)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

__all__ = ["Profiler", "summary"]

SAMPLES_PER_SECOND = 250
TOP = 15
# Frames every request passes through: they tell nothing about where the time goes.
_PLUMBING = re.compile(r"asyncio|runpy|uvicorn|starlette|contextlib|ostium/(cli|server|__main__)")


class Profiler:
    def __init__(self, directory: Path) -> None:
        executable = shutil.which("py-spy")
        if executable is None:
            raise SystemExit("--profile needs py-spy: python3 -m pip install py-spy")
        self.executable = executable
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def start(self, pid: int, scenario: str, seconds: float) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                self.executable,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, round(seconds))),
                "--rate",
                str(SAMPLES_PER_SECOND),
                "--format",
                "raw",
                "--output",
                str(self.directory / f"{scenario}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def write_summary(self) -> Path:
        sections = [
            "# Where Ostium's time goes\n",
            "Written by `bench/run.py --profile`: py-spy's samples of the server during a"
            " second run of each scenario. Own: the frame itself; inclusive: with what it"
            " called. Shares of the samples in which the server was handling a request.\n",
        ]
        for path in sorted(self.directory.glob("*.txt")):
            sections.append(summary(path.stem, path))
        target = self.directory / "README.md"
        target.write_text("\n".join(sections))
        return target


def summary(scenario: str, path: Path) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        if not any("Route.handle" in frame for frame in frames):
            continue  # idle loop, start-up, background tasks
        count = int(count_text)
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            if not _PLUMBING.search(frame):
                inclusive[frame] += count
    if total == 0:
        return f"## {scenario}\n\nno samples in a request\n"
    rows = [f"## {scenario}\n", f"{total:,} samples\n", "| own | frame |", "|---|---|"]
    rows += [f"| {n / total:.0%} | `{frame}` |" for frame, n in own.most_common(TOP)]
    rows += ["", "| inclusive | frame |", "|---|---|"]
    rows += [f"| {n / total:.0%} | `{frame}` |" for frame, n in inclusive.most_common(TOP)]
    return "\n".join(rows) + "\n"
