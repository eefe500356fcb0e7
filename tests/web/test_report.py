"""The patient report: access, audit, the same figures as the patient page, the A4 PDF.

The PDF tests need Chromium (``/usr/bin/chromium`` or ``HPATWIN_CHROMIUM``) and pypdf (a
dev dependency): without them they skip locally and fail under ``CI=true``.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hpatwin.records.entries import HrvEntry
from hpatwin.web import report
from hpatwin.web.pdf import PdfRenderer, pdf_page_count
from tests.web.conftest import Clock, add_patient, login, new_client, phq9

_FIGURE = re.compile(r'<figure id="(chart-[a-z0-9]+)">(<svg.*?</svg>)', re.S)


def _pdf_or_skip() -> None:
    reason = "Chromium not found (apt-get install chromium; scripts/test.sh does)"
    if not PdfRenderer.default().available:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PDF tests: {reason}")
        pytest.skip(reason)


def _pypdf() -> Any:
    if os.environ.get("CI") == "true":
        import pypdf

        return pypdf
    return pytest.importorskip("pypdf")


def _patient(client: TestClient, clock: Clock, pseudonym: str = "p001") -> str:
    token = login(client, "dr_a")
    add_patient(client, token, pseudonym=pseudonym)
    at = [f"{clock() - timedelta(days=d):%Y-%m-%dT%H:%M}" for d in (28, 14, 1)]
    assert phq9(client, token, pseudonym, [2, 2, 2, 2, 2, 2, 1, 1, 0], at[0]).status_code == 303
    assert phq9(client, token, pseudonym, [2, 1, 2, 1, 2, 1, 1, 1, 0], at[1]).status_code == 303
    assert phq9(client, token, pseudonym, [2, 1, 2, 1, 2, 1, 1, 1, 1], at[2]).status_code == 303
    client.post(f"/patients/{pseudonym}/assess/nrs",
                data={"csrf_token": token, "administered_at": at[0], "nrs": "7"})
    client.post(f"/patients/{pseudonym}/assess/nrs",
                data={"csrf_token": token, "administered_at": at[2], "nrs": "4"})
    client.post(f"/patients/{pseudonym}/sessions/new", data={
        "csrf_token": token, "started_at": at[1], "modality": "ea", "points": "LI4, LR3",
        "electrode_pairs": "LI4-LR3", "frequency_hz": "2/100", "intensity_ma": "2",
        "duration_min": "30"})
    client.post(f"/patients/{pseudonym}/biomarkers/cortisol", data={
        "csrf_token": token, "collected_at": f"{clock() - timedelta(days=2):%Y-%m-%d}T23:00",
        "value": "3.4", "unit": "nmol/L", "assay": "LC-MS/MS"})
    client.post(f"/patients/{pseudonym}/plan", data={
        "csrf_token": token, "pain_duration_months": "12", "pain_regions": "neck"})
    with client.app.state.ctx.store.writing("dr_a") as w:
        w.add_hrv(pseudonym, HrvEntry(clock() - timedelta(days=3), rmssd_ms=28.5))
    return token


def _report_reads(app: FastAPI, detail: str) -> int:
    with app.state.ctx.store.engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM audit_log WHERE action = 'report.read' AND actor = 'dr_a' "
            "AND target = 'p001' AND detail = :d"), {"d": detail}).scalar() or 0)


def test_report_needs_login_role_and_clinic(app: FastAPI, clock: Clock) -> None:
    anonymous = new_client(app)
    for path in ("/patients/p001/report", "/patients/p001/report.pdf"):
        response = anonymous.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    _patient(new_client(app), clock)
    for user in ("admin", "res"):
        other = new_client(app)
        login(other, user)
        assert other.get("/patients/p001/report").status_code == 403
        assert other.get("/patients/p001/report.pdf").status_code == 403
    other_clinic = new_client(app)
    login(other_clinic, "dr_b")
    assert other_clinic.get("/patients/p001/report").status_code == 404
    assert other_clinic.get("/patients/p001/report.pdf").status_code == 404


def test_report_shows_the_page_figures_and_is_audited(app: FastAPI, clock: Clock) -> None:
    client = new_client(app)
    _patient(client, clock)
    page = client.get("/patients/p001").text
    before = _report_reads(app, "html")
    response = client.get("/patients/p001/report")
    assert response.status_code == 200
    assert _report_reads(app, "html") == before + 1
    html = response.text
    # the same SVG charts as the patient page, byte for byte
    page_charts, report_charts = dict(_FIGURE.findall(page)), dict(_FIGURE.findall(html))
    assert set(page_charts) == {"chart-phq9", "chart-nrs", "chart-cortisol", "chart-hrv"}
    assert report_charts == page_charts
    # the same PHQ-9 total and band as the page's timeline (scored by the store)
    latest = re.findall(r"phq9 total (\d+) \(([a-z ]+)\)", page)[0]
    assert latest == ("12", "moderate")
    row = re.search(r'<tr class="score-phq9">(.*?)</tr>', html, re.S)
    assert row and "12 / 27" in row.group(1) and "moderate" in row.group(1)
    course = re.search(r'<tr class="course-phq9">(.*?)</tr>', html, re.S)
    assert course and "<td>14</td><td>12</td><td>-2 (-14 %)</td>" in course.group(1)
    assert "OPEN urgent: phq9_item9_positive" in html  # item 9 in the latest PHQ-9
    assert "1 session delivered (ea)" in html
    assert "cortisol, late night" in html and "3.4 nmol/L" in html and "28.5 ms" in html
    assert "Latest plan" in html and "KB " in html
    assert "<h1>Your summary</h1>" in html


def test_patient_summary_explains_from_the_data_and_never_prescribes(
    app: FastAPI, clock: Clock
) -> None:
    client = new_client(app)
    _patient(client, clock)
    record = app.state.ctx.store.load("p001")
    data = report.build_report(record, clock(), charts={})
    section = report.patient_sections(data)[0]
    paragraphs = " ".join(t for _, t in section.values["scores"])
    assert "was 12 out of 27" in paragraphs and "\u201cmoderate\u201d" in paragraphs
    assert "Your first result was 14" in paragraphs and "was 4 out of 10" in paragraphs
    assert "discuss it with your clinician" in section.values["discuss"]
    assert "go up and down" in section.values["uncertainty"]
    assert section.values["safety"]  # the open item-9 alert
    html = client.get("/patients/p001/report").text
    summary = html[html.index('id="patient-summary"'):]
    for wording in ("you should take", "increase your dose", "stop taking", "we recommend"):
        assert wording not in summary.lower()
    assert "nanomoles per litre" in summary and "milliseconds" in summary


def test_section_list_is_extendable_and_a_none_section_is_left_out(
    app: FastAPI, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = new_client(app)
    _patient(client, clock)
    keys = [s.key for s in report.clinician_sections(
        report.build_report(app.state.ctx.store.load("p001"), clock(), charts={"phq9": "<svg/>"}))]
    assert keys == ["scores", "course", "treatment", "alerts", "plan", "biomarkers", "charts"]
    html = client.get("/patients/p001/report").text
    assert 'id="report-forecast"' not in html  # no stored forecast: the section is left out
    assert 'id="patient-forecast"' not in html
    monkeypatch.setattr(report, "CLINICIAN_SECTIONS",
                        [*report.CLINICIAN_SECTIONS, lambda data: None])
    assert client.get("/patients/p001/report").status_code == 200


def test_pdf_report_is_a4_one_clinician_page_with_the_page_figures(
    app: FastAPI, clock: Clock, tmp_path: Path
) -> None:
    _pdf_or_skip()
    pypdf = _pypdf()
    client = new_client(app)
    _patient(client, clock)
    before = _report_reads(app, "pdf")
    response = client.get("/patients/p001/report.pdf")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="p001-report.pdf"'
    assert _report_reads(app, "pdf") == before + 1
    (tmp_path / "report.pdf").write_bytes(response.content)
    reader = pypdf.PdfReader(tmp_path / "report.pdf")
    assert len(reader.pages) == pdf_page_count(response.content) == 2
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2  # A4 in points
    clinician, patient = (p.extract_text() for p in reader.pages)
    assert "Clinician summary: patient p001" in clinician  # the whole summary on page 1
    assert re.search(r"PHQ-9\s+12 / 27\s+moderate", clinician)
    assert "Biomarkers (latest)" in clinician and "PHQ-9 with severity bands" in clinician
    assert "Your summary" in patient and "discuss it with your" in patient


def test_pdf_without_chromium_is_a_clear_503_and_reads_nothing(app: FastAPI, clock: Clock) -> None:
    client = new_client(app)
    _patient(client, clock)
    app.state.ctx.pdf = PdfRenderer(executable=None)
    response = client.get("/patients/p001/report.pdf")
    assert response.status_code == 503
    assert "Chromium was not found" in response.text and "Traceback" not in response.text
    assert _report_reads(app, "pdf") == 0


def test_pdf_timeout_kills_chromium_and_is_a_503(
    app: FastAPI, clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slow = tmp_path / "slow-chromium"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    client = new_client(app)
    _patient(client, clock, pseudonym="CANARYpdf7")
    app.state.ctx.pdf = PdfRenderer(executable=slow, timeout_s=1)
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    response = client.get("/patients/CANARYpdf7/report.pdf")
    assert response.status_code == 503 and "timed out" in response.text
    assert time.monotonic() - started < 15
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if not r.name.startswith(("httpx", "httpcore")))
    assert "pdf: Chromium timed out" in logged and "canarypdf7" not in logged.lower()
