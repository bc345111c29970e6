"""End to end: the real `oversight serve` process on a free loopback port, over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_over_http(site, tmp_path):
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "nhs_oversight.cli", "serve", "--db", str(site.db), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    token = site.tokens["trust"]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=60) as client:
            assert client.get("/api/governance?quarter=2012-13-Q4").status_code == 401
            wait_until = time.monotonic() + 180  # a busy machine may take a while: 503 says when to ask again
            while True:
                response = client.get(
                    "/api/governance?quarter=2012-13-Q4&format=csv", headers={"Authorization": f"Bearer {token}"}
                )
                assert response.status_code in (200, 503), response.text
                if response.status_code == 200 or time.monotonic() > wait_until:
                    break
                time.sleep(float(response.headers["retry-after"]))
            assert response.status_code == 200
            assert response.text.count("\n") == 2  # the header and the trust's own row
            assert response.headers["x-frame-options"] == "DENY"
            assert "server" not in response.headers
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    text = log.read_text()
    assert f"127.0.0.1:{port}" in text
    assert token not in text and str(site.db) not in text and "Authorization" not in text
