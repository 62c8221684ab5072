"""The scheduler's memory: ``flask --app wsgi scheduler run-once`` on the bench database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.load import PROJECT_DIR, BenchError, die_with_parent, peak_rss_kib
from catalog.jobs import JOBS

TIMEOUT = 180  # seconds


@dataclass(frozen=True)
class SchedulerRun:
    seconds: float
    peak_kib: int  # ru_maxrss of the process, from wait4
    last_vmhwm_kib: int | None  # VmHWM last read while it ran (a cross-check)
    jobs: list[str]  # "job: result" lines it printed

    def line(self) -> str:
        return f"{self.seconds:.1f} s, peak RSS {self.peak_kib / 1024:.1f} MiB; " + "; ".join(
            self.jobs
        )


def run_scheduler_once(env: dict[str, str], scratch: Path) -> SchedulerRun:
    """Run every job once against the database of ``env`` and read the process's peak
    resident set from the kernel as it exits (``wait4``)."""
    log_path = scratch / "scheduler.log"
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run-once"]
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
    last_vmhwm = None
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            # Reaped here, so Popen must not wait for it again.
            process.returncode = os.waitstatus_to_exitcode(status)
            break
        last_vmhwm = peak_rss_kib(process.pid) or last_vmhwm
        if time.monotonic() - started > TIMEOUT:
            process.kill()
            process.wait(timeout=10)
            raise BenchError(f"scheduler run-once still running after {TIMEOUT} s ({log_path})")
        time.sleep(0.02)
    seconds = time.monotonic() - started
    output = log_path.read_text(encoding="utf-8", errors="replace")
    if process.returncode != 0:
        raise BenchError(f"scheduler run-once exited with {process.returncode}:\n{output[-4000:]}")
    job_ids = {spec.id for spec in JOBS}
    jobs = [line for line in output.splitlines() if line.split(":", 1)[0] in job_ids]
    return SchedulerRun(seconds, usage.ru_maxrss, last_vmhwm, jobs)
