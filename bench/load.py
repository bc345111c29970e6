"""Load benchmark of `oversight serve` (run on demand, never as a test).

Starts `oversight serve --demo` (the national-size demo database, built in a temporary data
folder unless --data-home names one that has it) on a free loopback port, or uses a server
already running on loopback (--url with --token), then runs N concurrent clients (threads, one
keep-alive connection each) for T seconds against a mix of routes, and prints, per route,
requests, errors, p50, p95 and p99 in milliseconds and the p95 as a ratio to /api/health's under
the same load. Every URL is asked once before the measurement starts ("after the first
request": the results are then cached).

Bounded: at most 200 clients, 600 seconds and 2,000,000 requests; loopback addresses only.

    python bench/load.py                       # 50 clients, 60 s, one server process
    python bench/load.py --clients 20 --seconds 10 --workers 2

Goals (national demo, 2-core machine): no errors; every route's p95 within 3 x /api/health's;
governance p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

MAX_CLIENTS = 200
MAX_SECONDS = 600.0
MAX_REQUESTS = 2_000_000
LOOPBACK = ("127.0.0.1", "localhost", "::1")

YEAR, QUARTER = "2012-13", "2012-13-Q4"


def mix(trust_org: str, codes: list[str]) -> list[tuple[str, str, str, int]]:
    """(name, url, role, weight): the routes a day of use asks, national tables most often."""
    routes = [
        ("health", "/api/health", "analyst", 4),
        ("me", "/api/me", "trust", 1),
        ("organisations", "/api/organisations", "viewer", 1),
        ("organisation", f"/api/organisations/{trust_org}", "trust", 1),
        ("rates", f"/api/rates?year={YEAR}", "viewer", 2),
        ("rates.csv", f"/api/rates?year={YEAR}&organism=mrsa&format=csv", "viewer", 1),
        ("objectives", f"/api/objectives/cdiff?year={YEAR}", "analyst", 2),
        ("monitor", f"/api/monitor?quarter={QUARTER}", "analyst", 2),
        ("governance", f"/api/governance?quarter={QUARTER}", "analyst", 4),
        ("governance.csv", f"/api/governance?quarter={QUARTER}&format=csv", "viewer", 1),
        ("governance.trust", f"/api/governance?quarter={QUARTER}", "trust", 2),
        ("finance", f"/api/finance?period={YEAR}", "analyst", 1),
        ("chance", f"/api/chance?year={YEAR}", "analyst", 1),
        (
            "compare",
            f"/api/compare?a=monitor-compliance-2012-13&b=monitor-compliance-2012-13-poisson&year={YEAR}",
            "analyst",
            1,
        ),
        ("funnel", f"/api/funnel?year={YEAR}", "analyst", 1),
        ("explain", f"/api/explain/{trust_org}?period={QUARTER}", "trust", 1),
        ("rulebooks", "/api/rulebooks", "viewer", 1),
        ("decisions", "/api/decisions", "analyst", 1),
    ]
    routes += [("history", f"/api/history/{code}", "analyst", 1) for code in codes]
    return routes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _oversight(*args: str, env: dict[str, str], input: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "nhs_oversight.cli", *args], env=env, capture_output=True, text=True, input=input
    )
    if done.returncode != 0:
        raise SystemExit(f"oversight {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def start_server(data_home: Path, workers: int) -> tuple[subprocess.Popen[bytes], str, dict[str, str], list[str]]:
    """`oversight serve --demo` on a free loopback port; returns the process, its address, a
    token per role, and the trust user's organisation first, then a few others."""
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(data_home),
        "XDG_CACHE_HOME": str(data_home / "cache"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("OVERSIGHT_DB", None)
    port = _free_port()
    log = open(data_home / "serve.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "nhs_oversight.cli", "serve", "--demo", "--port", str(port), "--workers", str(workers)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        if process.poll() is not None:
            raise SystemExit("the server stopped:\n" + (data_home / "serve.log").read_text())
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the server did not answer /api/health within 180 s")
        time.sleep(0.3)
    db = str(data_home / "nhs-oversight" / "demo.sqlite")
    tokens = {
        role: _oversight("users", "token", f"demo-{role}", "--db", db, env=env).strip().splitlines()[-1]
        for role in ("analyst", "viewer", "trust")
    }
    listing = _oversight("users", "list", "--db", db, env=env)
    trust_org = next(line.split("│")[3].strip() for line in listing.splitlines() if "demo-trust" in line)
    import sqlite3

    with sqlite3.connect(db) as conn:
        others = [
            r[0]
            for r in conn.execute(
                "SELECT code FROM organisations WHERE kind IN ('foundation_trust','nhs_trust') AND code != ? "
                "ORDER BY code LIMIT 4",
                (trust_org,),
            )
        ]
    return process, base, tokens, [trust_org, *others]


class Client(threading.Thread):
    """One user: a keep-alive connection, requests drawn from the mix until the time is up."""

    def __init__(self, host: str, port: int, plan: list[tuple[str, str, dict[str, str]]], stop: float, seed: int):
        super().__init__(daemon=True)
        self.host, self.port, self.plan, self.stop, self.random = host, port, plan, stop, random.Random(seed)
        self.samples: list[tuple[str, float, bool]] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        while time.monotonic() < self.stop and len(self.samples) < MAX_REQUESTS // MAX_CLIENTS:
            name, url, headers = self.random.choice(self.plan)
            start = time.perf_counter()
            ok = False
            try:
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.samples.append((name, time.perf_counter() - start, ok))
        conn.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def warm(host: str, port: int, plan: list[tuple[str, str, dict[str, str]]]) -> None:
    """Ask every URL once (waiting out 503s): the measurement starts after the first request."""
    seen = set()
    for name, url, headers in plan:
        if (url, tuple(headers.items())) in seen:
            continue
        seen.add((url, tuple(headers.items())))
        deadline = time.monotonic() + 120
        while True:
            conn = http.client.HTTPConnection(host, port, timeout=60)
            conn.request("GET", url, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                break
            if response.status != 503 or time.monotonic() > deadline:
                raise SystemExit(f"{name} {url}: {response.status}")
            time.sleep(float(response.getheader("Retry-After", "1")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="server processes (when this script starts it)")
    parser.add_argument("--data-home", type=Path, help="XDG data folder holding (or to hold) the demo database")
    parser.add_argument("--url", help="a server already running on loopback (with --token-* for each role)")
    parser.add_argument("--token", help="with --url: a token for every request (an analyst's)")
    parser.add_argument("--trust-org", default="R0C", help="with --url: the organisation a trust path asks for")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"--clients 1..{MAX_CLIENTS} and --seconds up to {MAX_SECONDS:g}")
    process = None
    temp = None
    if args.url:
        parts = urlsplit(args.url)
        if parts.hostname not in LOOPBACK:
            raise SystemExit("loopback only: --url must be on 127.0.0.1, localhost or ::1")
        if not args.token:
            raise SystemExit("--url needs --token")
        base, tokens = args.url.rstrip("/"), {r: args.token for r in ("analyst", "viewer", "trust")}
        codes = [args.trust_org]
    else:
        if args.data_home is None:
            temp = tempfile.TemporaryDirectory(prefix="oversight-load-")
            data_home = Path(temp.name)
        else:
            data_home = args.data_home
            data_home.mkdir(parents=True, exist_ok=True)
        print(f"Starting `oversight serve --demo --workers {args.workers}` (building the demo database if missing)…")
        process, base, tokens, codes = start_server(data_home, args.workers)
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    plan = [
        (name, url, {"Authorization": f"Bearer {tokens[role]}"})
        for name, url, role, weight in mix(codes[0], codes[1:4] or codes[:1])
        for _ in range(weight)
    ]
    try:
        started = time.perf_counter()
        warm(host, port, plan)
        print(f"First requests (every URL once): {time.perf_counter() - started:.1f} s")
        stop = time.monotonic() + args.seconds
        clients = [Client(host, port, plan, stop, seed) for seed in range(args.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(args.seconds + 60)
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if temp is not None:
            temp.cleanup()
    samples = [s for c in clients for s in c.samples]
    by_route: dict[str, list[tuple[float, bool]]] = {}
    for name, seconds, ok in samples:
        by_route.setdefault(name, []).append((seconds, ok))
    health_p95 = _percentile([s for s, _ in by_route.get("health", [])], 0.95)
    print(
        f"\n{args.clients} clients, {args.seconds:g} s, {len(samples):,} requests "
        f"({len(samples) / args.seconds:,.0f}/s), workers {args.workers if process else '?'}"
    )
    print(f"{'route':<18}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p95/health':>11}")
    worst = 0.0
    for name in sorted(by_route, key=lambda n: (n != "health", n)):
        times = [s * 1000 for s, _ in by_route[name]]
        errors = sum(1 for _, ok in by_route[name] if not ok)
        p95 = _percentile(times, 0.95)
        ratio = p95 / (health_p95 * 1000)
        worst = max(worst, ratio)
        print(
            f"{name:<18}{len(times):>9,}{errors:>7}{statistics.median(times):>9.1f}{p95:>9.1f}"
            f"{_percentile(times, 0.99):>9.1f}{ratio:>11.2f}"
        )
    errors = sum(1 for _, _, ok in samples if not ok)
    gov = _percentile([s * 1000 for s, _ in by_route.get("governance", [])], 0.95)
    print(
        f"\nerrors {errors}; worst p95 ratio to /api/health {worst:.2f} (goal ≤ 3); "
        f"governance p95 {gov:.1f} ms (goal < 100)"
    )


if __name__ == "__main__":
    main()
