"""Several uvicorn worker processes on one port, each accepting from a listening socket of its own.

uvicorn's own supervisor gives every worker the same listening socket. Under a burst of new connections (a
telephony switch or a load balancer opening its keep-alive pool) the worker that wakes first accepts nearly all of
them, and keeps them: measured on 2 cores with 32 clients, about half the runs put every connection on one worker
and the other sat idle. Here each worker gets a socket of its own, bound to the same address with SO_REUSEPORT,
and the kernel spreads new connections across them by a hash of each connection's addresses.

The sockets are bound, and listen, in the supervising process and kept open there, so a worker that dies is
replaced on the same socket and the connections waiting in its queue are answered by the replacement rather than
dropped.
Everything else (signals, health checks, restarting a hung worker, refusing to restart one that failed to start)
is uvicorn's `Multiprocess`.
"""

from __future__ import annotations

import socket

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process, logger


def reuse_port_sockets(host: str, port: int, count: int, backlog: int = 2048) -> list[socket.socket]:
    """`count` TCP sockets listening on host:port with SO_REUSEPORT (one per worker).

    They listen before any worker starts: the kernel only hashes new connections to listening sockets, so a socket
    whose worker is still starting would otherwise be passed over and the first worker up would get them all."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(backlog)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class ReusePortSupervisor(Multiprocess):
    """uvicorn's supervisor, with worker i always serving socket i."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets=[])
        self.worker_sockets = sockets
        self.processes_num = len(sockets)

    def _start(self, index: int) -> Process:
        process = Process(self.config, [self.worker_sockets[index]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._start(index) for index in range(self.processes_num)]

    def restart_all(self) -> None:
        """Replace each worker in turn (SIGHUP), the new one serving its predecessor's socket."""
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(index)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                if not self.should_exit.is_set():
                    logger.error(f"New worker [{new.pid}] was not ready in time; keeping [{old.pid}].")
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung, or already gone
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # would fail the same way on every restart
                logger.error(f"Worker [{process.pid}] failed to start; stopping.")
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info(f"Worker [{process.pid}] died; starting its replacement")
            self.processes[index] = self._start(index)


def run_workers(app: str, *, host: str, port: int, workers: int, **options: object) -> None:
    """Serve the app factory `app` ("module:function") from `workers` processes until SIGINT or SIGTERM."""
    config = Config(app, factory=True, host=host, port=port, workers=workers, **options)  # type: ignore[arg-type]
    sockets = reuse_port_sockets(host, port, workers, config.backlog)
    try:
        ReusePortSupervisor(config, sockets).run()
    finally:
        for sock in sockets:
            sock.close()
