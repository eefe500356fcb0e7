"""Loopback load test of the clinic web app: N simulated clinicians for T seconds.

Starts the real app (uvicorn in a child process, the same settings as ``hpatwin serve``)
on 127.0.0.1 with a fresh SQLite database seeded like ``hpatwin web seed-demo`` plus one
clinician user per simulated clinician in the demo clinic, each with their own caseload of
``--patients-per-clinician`` patients (3 by default: 60 patients for 20 clinicians, plus the
4 demo patients, 8 weeks of PHQ-9, NRS and EA sessions each). As in a clinic, a clinician
works on their own patients (the patient list still shows the whole clinic). Each clinician
(a thread with its own keep-alive connection and cookies) logs in with the login form's
CSRF token, then until the time is up picks an action at random (seeded), on one of their
own patients: the patient list, a patient page,
the report page, an intake form, the JSON API, or a write with the session's CSRF token (a
PHQ-9 or a session log), with an optional think time between actions. The timed window
starts once every clinician has logged in (20 argon2id logins at once take the server's
CPU for seconds) and opened each of their patients once (a warm-up, as on a server that has
been running: list rows and charts cached; ``--no-warm-up`` measures a cold start); login
and warm-up latencies are reported on their own, not among the pages.

Afterwards: every response must have had its expected status (200 for reads, 303 after a
write; anything else, 4xx or 5xx, is an error); every write the server acknowledged must
be in the database, and the row counts must equal the seed plus the acknowledged writes (no
lost and no extra writes). Prints latency percentiles per page type and overall, and
throughput; ``--json`` writes them.

Bounded by construction: a fixed number of clinicians, a fixed duration, loopback only.

Run::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_web_load.py --clinicians 20 --seconds 60 \\
        --json benchmarks/results/web_load.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import func, select

from hpatwin.records import models
from hpatwin.records.entries import AssessmentEntry, PatientEntry, SessionEntry
from hpatwin.records.store import RecordStore
from hpatwin.web.app import configure_logging, create_app, init_database
from hpatwin.web.core import assign_clinic
from hpatwin.web.demo import DEMO_CLINIC, seed_demo
from hpatwin.web.users import create_user

PASSWORD = "load-test-password-2024"
PATIENTS_PER_CLINICIAN = 3
WEEKS = 8
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# (action, weight): reads dominate, as in a clinic
ACTIONS = (
    ("patient_list", 3),
    ("patient_page", 4),
    ("report_page", 1),
    ("intake_form", 1),
    ("api_assessments", 1),
    ("write_phq9", 2),
    ("write_session", 1),
)
PAGE_TYPES = ("login", *(name for name, _ in ACTIONS))


@dataclass
class Clinician:
    """One simulated clinician's results."""

    index: int
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    phq9_written: list[tuple[str, str]] = field(default_factory=list)  # (patient, minute)
    sessions_written: list[tuple[str, str]] = field(default_factory=list)


class Browser:
    """A keep-alive HTTP/1.1 connection with a cookie jar (names and values only)."""

    IDLE_S = 3.0
    """Reconnect after this long idle: uvicorn closes keep-alive connections idle for 5 s."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.last_used = time.monotonic()

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, str, str]:
        if time.monotonic() - self.last_used > self.IDLE_S:
            self.connection.close()  # a fresh connection, never one the server is closing
        try:
            return self._request(method, path, form)
        finally:
            self.last_used = time.monotonic()

    def _request(self, method: str, path: str, form: dict[str, str] | None
                 ) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "max-age=0" in value.lower() or cookie_value in ('""', ""):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie_value
        return response.status, response.getheader("location") or "", text

    def close(self) -> None:
        self.connection.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def caseload(index: int, per_clinician: int) -> list[str]:
    """The pseudonyms of clinician ``index``'s own patients."""
    return [f"load-{index:03d}-{k}" for k in range(per_clinician)]


def _seed_caseload(store: RecordStore, pseudonyms: list[str], rng: random.Random) -> None:
    """Weekly PHQ-9, NRS and an EA session for 8 weeks (like the demo patients)."""
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(
        weeks=WEEKS)
    with store.writing("bench") as w:
        for pseudonym in pseudonyms:
            w.add_patient(PatientEntry(pseudonym, birth_year=rng.randint(1950, 1995),
                                       sex=rng.choice(("female", "male"))))
            assign_clinic(w.session, pseudonym, DEMO_CLINIC)
            level, slope = rng.uniform(1.2, 2.6), rng.uniform(0.0, 0.15)
            for week in range(WEEKS):
                day = start + timedelta(weeks=week)
                current = max(0.0, level - slope * week * level)
                items = [min(3, max(0, round(current + rng.uniform(-0.6, 0.6)))) for _ in range(8)]
                w.add_assessment(pseudonym, AssessmentEntry("phq9", day, (*items, 0)))
                w.add_assessment(pseudonym, AssessmentEntry(
                    "nrs", day + timedelta(minutes=2), (rng.randint(3, 8),)))
                w.add_session(pseudonym, SessionEntry(
                    day + timedelta(minutes=15), 30, "ea", points=("LI4", "PC6", "GV20"),
                    electrode_pairs=(("LI4", "PC6"),), frequency_hz="2/100", intensity_ma=2.5))


def prepare(url: str, clinicians: int, per_clinician: int = PATIENTS_PER_CLINICIAN) -> list[str]:
    """Seed the demo clinic, the clinician users and their caseloads; return the users' names."""
    store = RecordStore(url)
    init_database(store)
    seed_demo(store)
    names = [f"load_dr_{i:03d}" for i in range(clinicians)]
    rng = random.Random(20241204)
    for index, name in enumerate(names):
        create_user(store, name, "clinician", DEMO_CLINIC, PASSWORD, actor="bench")
        _seed_caseload(store, caseload(index, per_clinician), rng)
    store.close()
    return names


def serve(url: str, port: int, login_rate_limit: int) -> None:
    """The server child: the app as ``hpatwin serve`` runs it (INFO access lines to stderr)."""
    app = create_app(url, init=False, login_rate_limit=login_rate_limit)
    configure_logging()
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_config=None,
                server_header=False)


def _wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    raise RuntimeError("the server did not start")


def _timed(me: Clinician, kind: str, call: Any, expected: int) -> tuple[int, str, str] | None:
    started = time.perf_counter()
    try:
        status, location, text = call()
    except (OSError, http.client.HTTPException) as exc:
        me.errors.append(f"{kind}: {type(exc).__name__}")
        return None
    me.latencies.setdefault(kind, []).append(time.perf_counter() - started)
    if status != expected:
        me.errors.append(f"{kind}: HTTP {status}")
        return None
    return status, location, text


def _phq9_items(rng: random.Random) -> list[int]:
    return [rng.randint(0, 3) for _ in range(8)] + [0]  # item 9 negative: no alerts


def run_clinician(me: Clinician, username: str, port: int, window: list[float],
                  logged_in: threading.Barrier, n_clinicians: int, think_s: float, seed: int,
                  base: datetime, patients: list[str], warm_up: bool = True) -> None:
    """One clinician's loop: log in (and, with ``warm_up``, open each of their patients once),
    wait for the others, then act on their own patients for the timed window."""
    rng = random.Random(seed * 1000 + me.index)
    browser = Browser(port)
    try:
        got = _timed(me, "login_form", lambda: browser.request("GET", "/login"), 200)
        match = _CSRF.search(got[2]) if got else None
        form = {"username": username, "password": PASSWORD,
                "csrf_token": match.group(1) if match else ""}
        if match is None or _timed(
                me, "login", lambda: browser.request("POST", "/login", form), 303) is None:
            me.errors.append("login: failed")
            logged_in.abort()  # the others stop waiting
            return
        # not timed: a server that has been up has the list rows and these charts cached
        for path in ["/patients", *(f"/patients/{p}" for p in patients)] if warm_up else []:
            _timed(me, "warm_up", lambda path=path: browser.request("GET", path), 200)
        try:
            logged_in.wait()  # the timed window starts when every clinician has logged in
        except threading.BrokenBarrierError:
            return
        stop_at = window[0]
        token = ""
        names, weights = zip(*ACTIONS, strict=True)
        writes = 0
        while time.monotonic() < stop_at:
            action = rng.choices(names, weights)[0]
            patient = rng.choice(patients)
            if action == "patient_list" or not token:
                got = _timed(me, "patient_list", lambda: browser.request("GET", "/patients"), 200)
                if got and (m := _CSRF.search(got[2])):
                    token = m.group(1)
            elif action == "patient_page":
                _timed(me, action, lambda p=patient: browser.request("GET", f"/patients/{p}"), 200)
            elif action == "report_page":
                _timed(me, action,
                       lambda p=patient: browser.request("GET", f"/patients/{p}/report"), 200)
            elif action == "intake_form":
                _timed(me, action,
                       lambda p=patient: browser.request("GET", f"/patients/{p}/assess/phq9"), 200)
            elif action == "api_assessments":
                _timed(me, action, lambda p=patient: browser.request(
                    "GET", f"/api/patients/{p}/assessments"), 200)
            else:
                # unique times: clinician i writes slot n * N + i (no two writes collide)
                slot = writes * n_clinicians + me.index
                writes += 1
                if action == "write_phq9":
                    when = f"{base + timedelta(minutes=slot):%Y-%m-%dT%H:%M}"
                    data = {"csrf_token": token, "administered_at": when}
                    data.update({f"phq9_{i}": str(v)
                                 for i, v in enumerate(_phq9_items(rng), start=1)})
                    if _timed(me, action, lambda p=patient, d=data: browser.request(
                            "POST", f"/patients/{p}/assess/phq9", d), 303):
                        me.phq9_written.append((patient, when))
                else:
                    when = f"{base - timedelta(days=400) + timedelta(minutes=40 * slot):%Y-%m-%dT%H:%M}"
                    data = {"csrf_token": token, "started_at": when, "modality": "ea",
                            "points": "LI4, LR3", "electrode_pairs": "LI4-LR3",
                            "frequency_hz": "2/100", "intensity_ma": "2", "duration_min": "30"}
                    if _timed(me, action, lambda p=patient, d=data: browser.request(
                            "POST", f"/patients/{p}/sessions/new", d), 303):
                        me.sessions_written.append((patient, when))
            if think_s > 0:
                time.sleep(min(rng.expovariate(1 / think_s), 5 * think_s))
    finally:
        browser.close()


def verify(url: str, clinicians: list[Clinician], seeded: dict[str, int]) -> dict[str, int]:
    """Acknowledged writes present, and counts equal to seed + acknowledged."""
    store = RecordStore(url)
    written = {p for c in clinicians for p, _ in (*c.phq9_written, *c.sessions_written)}
    acknowledged_phq9 = {(p, w) for c in clinicians for p, w in c.phq9_written}
    acknowledged_sessions = {(p, w) for c in clinicians for p, w in c.sessions_written}
    present_phq9: set[tuple[str, str]] = set()
    present_sessions: set[tuple[str, str]] = set()
    for pseudonym in sorted(written):
        record = store.load(pseudonym)
        present_phq9 |= {(pseudonym, f"{a.entry.entry.administered_at:%Y-%m-%dT%H:%M}")
                         for a in record.assessments if a.entry.entry.instrument == "phq9"}
        present_sessions |= {(pseudonym, f"{s.entry.started_at:%Y-%m-%dT%H:%M}")
                             for s in record.sessions}
    counts = _counts(store)
    store.close()
    return {
        "acknowledged_phq9": len(acknowledged_phq9),
        "acknowledged_sessions": len(acknowledged_sessions),
        "lost_phq9": len(acknowledged_phq9 - present_phq9),
        "lost_sessions": len(acknowledged_sessions - present_sessions),
        "rows_assessments": counts["assessments"],
        "rows_sessions": counts["sessions"],
        "unexpected_rows": (counts["assessments"] - seeded["assessments"] - len(acknowledged_phq9))
        + (counts["sessions"] - seeded["sessions"] - len(acknowledged_sessions)),
    }


def _counts(store: RecordStore) -> dict[str, int]:
    with store.reading() as db:
        return {
            "assessments": int(db.scalar(select(func.count()).select_from(models.Assessment)) or 0),
            "sessions": int(db.scalar(select(func.count()).select_from(models.Session)) or 0),
        }


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] * 1000

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "mean_ms": statistics.fmean(ordered) * 1000, "max_ms": ordered[-1] * 1000}


def run(clinicians: int, seconds: float, think_s: float = 0.0, seed: int = 1,
        folder: Path | None = None, per_clinician: int = PATIENTS_PER_CLINICIAN,
        warm_up: bool = True) -> dict[str, Any]:
    """Run the load test and return its results (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="hpatwin-load-") as tmp:
        root = folder or Path(tmp)
        url = f"sqlite:///{root / 'clinic.db'}"
        names = prepare(url, clinicians, per_clinician)
        load_before = list(os.getloadavg())
        store = RecordStore(url)
        seeded = _counts(store)
        store.close()
        port = _free_port()
        log_path = root / "server.log"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[1] / "src"), os.environ.get("PYTHONPATH", "")])}
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, __file__, "serve", "--db", url, "--port", str(port),
                 "--login-rate-limit", str(max(20, 2 * clinicians))],
                stdout=log, stderr=log, env=env,
            )
            try:
                _wait_for(port, server)
                results = [Clinician(i) for i in range(clinicians)]
                base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=300)
                window = [0.0]
                started = [0.0]

                def open_window() -> None:  # run by the barrier once all have logged in
                    started[0] = time.monotonic()
                    window[0] = started[0] + seconds

                logged_in = threading.Barrier(clinicians, action=open_window, timeout=600)
                threads = [
                    threading.Thread(target=run_clinician, args=(
                        me, name, port, window, logged_in, clinicians, think_s, seed, base,
                        caseload(me.index, per_clinician), warm_up),
                        daemon=True)
                    for me, name in zip(results, names, strict=True)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=seconds + 900)
                elapsed = time.monotonic() - started[0]
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        server_5xx = sum(" 500 " in line or " 503 " in line
                         for line in log_path.read_text(errors="replace").splitlines())
        checks = verify(url, results, seeded)
    by_kind: dict[str, list[float]] = {}
    for me in results:
        for kind, values in me.latencies.items():
            by_kind.setdefault(kind, []).extend(values)
    pages = [v for kind, values in by_kind.items()
             if kind not in ("login", "login_form", "warm_up") for v in values]
    errors = [e for me in results for e in me.errors]
    return {
        "clinicians": clinicians,
        "patients": clinicians * per_clinician + 4,
        "load_average_before": load_before,
        "load_average_after": list(os.getloadavg()),
        "seconds": seconds,
        "think_s": think_s,
        "warm_up": warm_up,
        "elapsed_s": elapsed,
        "requests": sum(len(v) for v in by_kind.values()),
        "page_requests": len(pages),
        "throughput_rps": len(pages) / elapsed,  # the timed window, after the logins
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "server_error_lines": server_5xx,
        **checks,
        "overall_pages": _percentiles(pages) if pages else {},
        "per_page": {k: _percentiles(v) for k, v in sorted(by_kind.items())},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
    }


def _print(result: dict[str, Any]) -> None:
    print(f"load average before {result['load_average_before']}, "
          f"after {result['load_average_after']}")
    print(f"{result['clinicians']} clinicians ({result['patients']} patients) x "
          f"{result['seconds']:g} s, {'after a warm-up' if result['warm_up'] else 'cold start'} "
          f"(think {result['think_s']:g} s): {result['requests']} requests, "
          f"{result['throughput_rps']:.1f} req/s, {result['errors']} errors, "
          f"writes acknowledged {result['acknowledged_phq9']} PHQ-9 + "
          f"{result['acknowledged_sessions']} sessions, lost "
          f"{result['lost_phq9'] + result['lost_sessions']}, unexpected rows "
          f"{result['unexpected_rows']}")
    print(f"{'page type':<18}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    rows = [*result["per_page"].items(), ("ALL PAGES", result["overall_pages"])]
    for kind, p in rows:
        if p:
            print(f"{kind:<18}{p['n']:>7}{p['p50_ms']:>9.0f}{p['p95_ms']:>9.0f}"
                  f"{p['p99_ms']:>9.0f}{p['max_ms']:>9.0f}")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``serve`` (the child) or the load test."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "serve":
        parser = argparse.ArgumentParser()
        parser.add_argument("--db", required=True)
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--login-rate-limit", type=int, default=20)
        options = parser.parse_args(args[1:])
        serve(options.db, options.port, options.login_rate_limit)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinicians", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="start the timed window on a cold server (no chart or list cached)")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean think time between a clinician's actions (exponential)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--patients-per-clinician", type=int, default=PATIENTS_PER_CLINICIAN)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(args)
    if not 1 <= options.clinicians <= 200 or not 0 < options.seconds <= 3600 or not (
            1 <= options.patients_per_clinician <= 20):
        parser.error("--clinicians 1-200, --seconds up to 3600 and --patients-per-clinician "
                     "1-20 (a bounded test)")
    result = run(options.clinicians, options.seconds, options.think_ms / 1000, options.seed,
                 per_clinician=options.patients_per_clinician, warm_up=options.warm_up)
    _print(result)
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(result, indent=2) + "\n")
    ok = result["errors"] == 0 and result["lost_phq9"] + result["lost_sessions"] == 0
    return 0 if ok and result["unexpected_rows"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
