"""Page structure: every form control has a label; intake shows every item with the spec's label."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi import FastAPI

from hpatwin.clinic.instruments import get_spec, instrument_names
from tests.web.conftest import add_patient, login, new_client


class _Controls(HTMLParser):
    """Collect controls and which of them have a label (for= or wrapping)."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.wrapped: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if values.get("for"):
                self.label_for.add(str(values["for"]))
        elif tag in ("input", "select", "textarea"):
            if values.get("type") in ("hidden", "submit"):
                return
            self.controls.append(values)
            if self.open_labels:
                self.wrapped.append(str(values.get("name")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[str | None]:
        return [
            c.get("name") for c in self.controls
            if c.get("id") not in self.label_for and c.get("name") not in self.wrapped
        ]


def _pages(pseudonym: str) -> list[str]:
    base = f"/patients/{pseudonym}"
    return ["/patients", "/patients/new", base, f"{base}/edit", f"{base}/sessions/new",
            f"{base}/biomarkers", f"{base}/plan", f"{base}/forecast", f"{base}/report", "/import",
            *[f"{base}/assess/{name}" for name in instrument_names()]]


def test_every_form_control_has_a_label(app: FastAPI) -> None:
    client = new_client(app)
    probe = _Controls()
    probe.feed('<label for="a">A</label><input id="a" name="a"><label><input name="b"> B</label>'
               '<input name="c"><input type="hidden" name="d">')
    assert probe.unlabelled() == ["c"]
    parser = _Controls()
    parser.feed(client.get("/login").text)
    assert parser.controls and parser.unlabelled() == []
    add_patient(client, login(client, "dr_a"))
    for path in _pages("p001"):
        response = client.get(path)
        assert response.status_code == 200, path
        parser = _Controls()
        parser.feed(response.text)
        assert parser.unlabelled() == [], path
    admin = new_client(app)
    login(admin, "admin")
    parser = _Controls()
    parser.feed(admin.get("/admin/users").text)
    assert parser.controls and parser.unlabelled() == []


@pytest.mark.parametrize("instrument", instrument_names())
def test_intake_lists_every_item_with_its_label(app: FastAPI, instrument: str) -> None:
    client = new_client(app)
    add_patient(client, login(client, "dr_a"))
    page = client.get(f"/patients/p001/assess/{instrument}").text
    spec = get_spec(instrument)
    for key, label in zip(spec.item_keys, spec.item_labels, strict=True):
        assert f'name="{key}"' in page
        assert label.replace("'", "&#39;") in page or label in page
