"""The production stack on loopback: deploy/nginx/catalog.conf in front of gunicorn
started with deploy/gunicorn.conf.py, on a fresh database.

The nginx site is the shipped template itself, its ``@NAME@`` placeholders filled
in with paths under a temporary directory and free ports; a small main config
around it keeps every file nginx writes (pid, logs, temp files, cache) there too,
so the test runs as root or not. The database and ports come from the seat-race
helpers (``tests/concurrency/support.py``).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.concurrency.support import HOST, free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
NGINX_TEMPLATE = PROJECT_DIR / "deploy" / "nginx" / "catalog.conf"
GUNICORN_CONF = PROJECT_DIR / "deploy" / "gunicorn.conf.py"
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
BOOT_TIMEOUT = 45  # seconds for gunicorn or nginx to answer
HTTP_TIMEOUT = 15


class StackError(RuntimeError):
    """A server did not start or stopped; the message carries its log."""


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def missing_tools_reason() -> str | None:
    """Why the stack cannot run here, or None when it can."""
    if nginx_binary() is None:
        return "nginx is missing: apt-get install nginx-light (.ci/run does)"
    if shutil.which("openssl") is None:
        return "openssl is missing: apt-get install openssl"
    return None


# --- Rendering ------------------------------------------------------------------------------


def render_template(text: str, values: dict[str, str]) -> str:
    """The template with every ``@NAME@`` replaced; an unknown or unfilled name raises."""
    names = set(PLACEHOLDER.findall(text))
    if names != set(values):
        raise KeyError(f"placeholders {sorted(names)}, values for {sorted(values)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def main_config(directory: Path, site: Path) -> str:
    """An nginx.conf that keeps everything nginx writes in ``directory``."""
    if Path("/etc/nginx/mime.types").exists():
        types = "include /etc/nginx/mime.types;"
    else:
        types = "types { text/html html; text/css css; application/javascript js; }"
    # As root, workers would otherwise switch to "nobody", who cannot enter the
    # private temporary directory; as anybody else nginx cannot switch and must not try.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/main.error.log info;
events {{ worker_connections 256; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log {directory}/main.access.log;
    client_body_temp_path {directory}/temp/body;
    proxy_temp_path {directory}/temp/proxy;
    fastcgi_temp_path {directory}/temp/fastcgi;
    uwsgi_temp_path {directory}/temp/uwsgi;
    scgi_temp_path {directory}/temp/scgi;
    include {site};
}}
"""


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid for two days, and its key."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-nodes", "-days", "2",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", f"/CN={HOST}",
            "-addext", f"subjectAltName=IP:{HOST},DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


# --- Processes ------------------------------------------------------------------------------


def _wait_for_port(process: subprocess.Popen, port: int, log: Path, what: str) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{what} exited with {process.returncode}:\n{tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.1)
    raise StackError(f"{what} not listening after {BOOT_TIMEOUT} s:\n{tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def tail(path: Path, size: int = 8000) -> str:
    if not path.exists():
        return f"({path} is missing)"
    return path.read_text(encoding="utf-8", errors="replace")[-size:]


@dataclass
class Gunicorn:
    port: int
    log_path: Path
    secret_key: str
    env: dict[str, str]


def production_env(database_url: str, secret_key: str, bind: str) -> dict[str, str]:
    """The environment production runs with (docs/deployment.md), on loopback: Secure
    cookies, HSTS, JSON logs, one trusted proxy in front; mail only printed."""
    env = {
        **os.environ,
        "CATALOG_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "BASE_URL": f"https://{HOST}",
        "TRUSTED_PROXIES": "1",
        "BIND": bind,
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
        "MAIL_TRANSPORT": "console",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TEST_DATABASE_URL", None)
    return env


def run_scheduler_once(env: dict[str, str], log_path: Path) -> None:
    """Every scheduler job once, as ``flask scheduler run-once`` runs them."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run-once"]
    with open(log_path, "ab") as log:
        subprocess.run(
            command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            check=True, timeout=120,
        )  # fmt: skip


@contextlib.contextmanager
def running_gunicorn(database_url: str, directory: Path) -> Iterator[Gunicorn]:
    """The app as production runs it (deploy/gunicorn.conf.py), two workers."""
    port = free_port()
    secret_key = secrets.token_hex(32)
    env = production_env(database_url, secret_key, f"{HOST}:{port}")
    log_path = directory / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_port(process, port, log_path, "gunicorn")
        yield Gunicorn(port, log_path, secret_key, env)
    finally:
        _stop(process)


@dataclass
class Nginx:
    http_port: int
    https_port: int
    directory: Path
    certificate: Path

    @property
    def access_log(self) -> Path:
        return self.directory / "logs" / "catalog.access.log"

    @property
    def error_log(self) -> Path:
        return self.directory / "logs" / "catalog.error.log"

    def logs(self) -> str:
        """Everything nginx wrote to its logs."""
        return "".join(tail(path, 10**7) for path in sorted(self.directory.glob("**/*.log")))

    def client(self) -> Client:
        return Client(self)


@contextlib.contextmanager
def running_nginx(directory: Path, upstream_port: int, feed_cache_seconds: int) -> Iterator[Nginx]:
    """deploy/nginx/catalog.conf, rendered for loopback, in front of ``upstream_port``."""
    for sub in ("logs", "cache", "temp"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    certificate, key = self_signed_certificate(directory)
    http_port, https_port = free_port(), free_port()
    site = directory / "catalog.conf"
    site.write_text(
        render_template(
            NGINX_TEMPLATE.read_text(encoding="utf-8"),
            {
                "SERVER_NAME": f"{HOST} localhost",
                "HTTP_LISTEN": f"{HOST}:{http_port}",
                "HTTPS_LISTEN": f"{HOST}:{https_port}",
                "TLS_CERT": str(certificate),
                "TLS_KEY": str(key),
                "UPSTREAM": f"{HOST}:{upstream_port}",
                "APP_ROOT": str(PROJECT_DIR),
                "CACHE_DIR": str(directory / "cache"),
                "LOG_DIR": str(directory / "logs"),
                "FEED_CACHE_SECONDS": str(feed_cache_seconds),
            },
        ),
        encoding="utf-8",
    )
    conf = directory / "nginx.conf"
    conf.write_text(main_config(directory, site), encoding="utf-8")
    start_log = directory / "start.log"
    nginx = [nginx_binary(), "-p", f"{directory}/", "-c", str(conf), "-e", str(start_log)]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=30)
    if checked.returncode != 0:
        raise StackError(f"nginx -t refused the rendered site:\n{checked.stderr}")
    log_path = directory / "nginx.out"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(nginx, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(process, https_port, directory / "main.error.log", "nginx")
        yield Nginx(http_port, https_port, directory, certificate)
    finally:
        _stop(process)


# --- Requests ---------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Client:
    """Requests through nginx: HTTPS verified against the test certificate, or plain HTTP."""

    def __init__(self, nginx: Nginx):
        self.nginx = nginx
        self.tls = ssl.create_default_context(cafile=str(nginx.certificate))

    def get(self, path: str, headers: dict[str, str] | None = None, tls: bool = True) -> Reply:
        if tls:
            connection = http.client.HTTPSConnection(
                HOST, self.nginx.https_port, context=self.tls, timeout=HTTP_TIMEOUT
            )
        else:
            connection = http.client.HTTPConnection(
                HOST, self.nginx.http_port, timeout=HTTP_TIMEOUT
            )
        try:
            connection.request("GET", path, headers={"Connection": "close", **(headers or {})})
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
