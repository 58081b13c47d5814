"""A real uvicorn server on loopback in a thread, for tests that need one (streams, browsers)."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

#: how long a server may take to start before the test gives up (only bounds a hang: a loaded machine is slow)
START_PATIENCE = 60.0


def loopback_socket() -> socket.socket:
    """A socket bound to a free loopback port, to hand to uvicorn (``Server.run(sockets=[...])``): the port stays
    ours from here on, where a port looked up and closed could be taken by another process before the server
    binds it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def start_server(server: uvicorn.Server, sock: socket.socket) -> threading.Thread:
    """Run ``server`` on ``sock`` in a daemon thread; returns once it has started."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_PATIENCE
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    return thread


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields its base URL; stops it on exit."""
    sock = loopback_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", timeout_graceful_shutdown=2))
    try:
        thread = start_server(server, sock)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        sock.close()
