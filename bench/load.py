"""gunicorn servers and wrk runs for the load benchmarks (``bench/run.py``).

Every wait is bounded, every process this module starts is stopped when the
``with`` block ends, and the kernel stops them too should the benchmark itself
die (they are started with a parent-death signal).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
CONFIG_FILE = PROJECT_DIR / "bench" / "gunicorn_bench.py"
HOST = "127.0.0.1"
BOOT_TIMEOUT = 60  # seconds for every worker to load the application
STOP_TIMEOUT = 15
# A worker killed by a signal, a fatal error of the interpreter (with the Python
# stacks faulthandler prints after it), or a worker gunicorn killed for hanging.
CRASH = re.compile(r"was sent SIG|Fatal Python error|WORKER TIMEOUT|Segmentation fault")


class BenchError(RuntimeError):
    """Something the benchmark needs is missing or broke; the message says what."""


def die_with_parent() -> None:
    """In the child before exec: SIGTERM when the benchmark process goes away."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# --- gunicorn ---------------------------------------------------------------------------


def peak_rss_kib(pid: int) -> int | None:
    """VmHWM of a running process (its peak resident set), in KiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) if match else None


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (2nd field) is in parentheses and may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path
    ready_dir: Path
    settings: dict = field(default_factory=dict)
    peaks: dict[int, int] = field(default_factory=dict)  # every worker sampled: VmHWM

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def boots(self) -> int:
        """Workers started so far (``max_requests`` replaces them as they serve)."""
        return len(list(self.ready_dir.iterdir()))

    def sample_memory(self) -> None:
        """Remember the peak of every current worker: replaced ones are gone later."""
        for pid, peak in self.worker_peaks().items():
            if peak is not None:
                self.peaks[pid] = max(peak, self.peaks.get(pid, 0))

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]

    def crashes(self) -> list[str]:
        """Log lines of workers that died or hung: signals, fatal errors, timeouts."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if CRASH.search(line)]

    def workers(self) -> list[int]:
        return children_of(self.process.pid)

    def worker_peaks(self) -> dict[int, int | None]:
        return {pid: peak_rss_kib(pid) for pid in self.workers()}


@contextlib.contextmanager
def gunicorn(name: str, app_spec: str, env: dict[str, str], scratch: Path) -> Iterator[Server]:
    """gunicorn with the benchmark's settings (``bench/gunicorn_bench.py``) serving
    ``app_spec`` on a free loopback port; its output goes to ``scratch/<name>.log``."""
    port = free_port()
    ready_dir = Path(tempfile.mkdtemp(prefix=f"{name}-ready-", dir=scratch))
    settings_file = scratch / f"{name}-settings.json"
    settings_file.unlink(missing_ok=True)
    log_path = scratch / f"{name}.log"
    full_env = {
        **os.environ,
        **env,
        "BIND": f"{HOST}:{port}",
        "BENCH_READY_DIR": str(ready_dir),
        "BENCH_SETTINGS_FILE": str(settings_file),
        "PYTHONUNBUFFERED": "1",
        # A worker that crashes prints every thread's Python stack to the log.
        "PYTHONFAULTHANDLER": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG_FILE), app_spec]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
    server = Server(name, port, process, log_path, ready_dir)
    try:
        _wait_until_ready(server, settings_file)
        yield server
    finally:
        _stop(process)


def _wait_until_ready(server: Server, settings_file: Path) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"gunicorn ({server.name}) exited with {server.process.returncode}; "
                f"the end of {server.log_path}:\n{server.log()}"
            )
        if not server.settings and settings_file.exists():
            with contextlib.suppress(ValueError):
                server.settings = json.loads(settings_file.read_text())
        workers = server.settings.get("workers")
        if workers and server.boots >= workers:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(server.url + "/", timeout=5),
            ):
                return
        time.sleep(0.1)
    raise BenchError(
        f"gunicorn ({server.name}) not ready after {BOOT_TIMEOUT} s; "
        f"the end of {server.log_path}:\n{server.log()}"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(url: str, headers: dict[str, str] | None = None) -> Fetched:
    """One request (no redirects followed), for checks before a measurement."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return Fetched(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Fetched(error.code, dict(error.headers.items()), error.read())


# --- wrk ------------------------------------------------------------------------------------


def find_wrk() -> str:
    wrk = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if not wrk:
        raise BenchError(
            "wrk is not installed: the load benchmarks use it to generate requests "
            "(Debian/Ubuntu: apt-get install wrk)."
        )
    return wrk


@dataclass(frozen=True)
class Load:
    """How wrk loads a server: threads, connections, seconds (plus a warm-up run)."""

    threads: int
    connections: int
    seconds: int
    warmup_seconds: int = 2

    def describe(self) -> str:
        return f"wrk -t{self.threads} -c{self.connections} -d{self.seconds}s --latency"


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    problems: str  # socket errors and non-2xx/3xx answers; empty when none

    def line(self) -> str:
        text = (
            f"{self.requests_per_second:>10,.1f} req/s  p50 {self.p50_ms:>8.2f} ms  "
            f"p99 {self.p99_ms:>8.2f} ms"
        )
        return text + (f"  ({self.problems})" if self.problems else "")


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise BenchError(f"cannot read the wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Requests/s, the p50 and p99 latency and any errors from ``wrk --latency``."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rate and p50 and p99 and total):
        raise BenchError(f"cannot read the wrk output:\n{output}")
    problems = []
    sockets = re.search(r"Socket errors: (.*)", output)
    if sockets:
        problems.append(f"socket errors: {sockets.group(1).strip()}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        problems.append(f"{non_2xx.group(1)} non-2xx/3xx answers")
    return WrkResult(
        float(rate.group(1)),
        _ms(p50.group(1)),
        _ms(p99.group(1)),
        int(total.group(1)),
        "; ".join(problems),
    )


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def header_script(headers: dict[str, str], directory: Path) -> Path | None:
    """A wrk Lua script that sends ``headers`` with every request."""
    if not headers:
        return None
    lines = [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    handle, name = tempfile.mkstemp(prefix="wrk-", suffix=".lua", dir=directory)
    with os.fdopen(handle, "w", encoding="utf-8") as script:
        script.write("\n".join(lines) + "\n")
    return Path(name)


def run_wrk(
    wrk: str, url: str, load: Load, scratch: Path, headers: dict[str, str] | None = None
) -> WrkResult:
    """A warm-up run (discarded), then the measured run."""
    script = header_script(headers or {}, scratch)

    def command(seconds: int) -> list[str]:
        parts = [wrk, f"-t{load.threads}", f"-c{load.connections}", f"-d{seconds}s"]
        parts += ["--latency", "--timeout", "10s"]
        if script:
            parts += ["-s", str(script)]
        return [*parts, url]

    if load.warmup_seconds:
        _wrk(command(load.warmup_seconds), load.warmup_seconds)
    return parse_wrk(_wrk(command(load.seconds), load.seconds))


def _wrk(command: list[str], seconds: int) -> str:
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            preexec_fn=die_with_parent,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk did not finish in time: {' '.join(command)}") from error
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout
