"""Random input into every form: never a server error, and bad input never stores anything
(a 422/409 answer leaves the record exactly as it was)."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import add_patient, login, new_client


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and values.get("method") == "post":
            self.forms.append((str(values.get("action") or ""), []))
        elif tag in ("input", "select", "textarea") and self.forms:
            name = values.get("name")
            if name and name != "csrf_token" and values.get("type") != "file":
                self.forms[-1][1].append(name)


PAGES = ["/patients/new", "/patients/p001/edit", "/patients/p001/sessions/new",
         "/patients/p001/biomarkers", "/patients/p001/plan", "/patients/p001/assess/phq9",
         "/patients/p001/assess/bpi"]
VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "0", "3", "2/100", "LI4, LR3", "LI4-LR3", "ea", "cbt", "mild",
                     "2024-03-01", "2024-03-01T09:00", "0001-01-01T00:00", "9999-12-31",
                     "nmol/L", "LC-MS/MS", "before", "female", "normal", "on"]),
)


def test_random_form_input_never_errors_or_half_writes(app: FastAPI) -> None:
    client = new_client(app)
    token = login(client, "dr_a")
    add_patient(client, token)
    store = app.state.ctx.store
    targets: list[tuple[str, list[str]]] = []
    for page in PAGES:
        parser = _Forms()
        parser.feed(client.get(page).text)
        for action, fields in parser.forms:
            if action != "/logout":
                targets.append((action or page, fields))
    assert len(targets) >= 8
    statuses: list[int] = []

    @given(index=st.integers(0, len(targets) - 1), data=st.data())
    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(index: int, data: st.DataObject) -> None:
        action, fields = targets[index]
        form = {name: data.draw(VALUES) for name in fields}
        before = store.counts()
        response = client.post(action, data={**form, "csrf_token": token})
        statuses.append(response.status_code)
        assert response.status_code < 500, (action, response.status_code)
        if response.status_code in (409, 422):
            assert store.counts() == before, action

    run()
    assert 422 in statuses and len(statuses) >= 100, sorted(set(statuses))
