"""The online report's rules, which need no database: what is refused, what is kept, the queue's summary line,
and when two submissions are the same report."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from safeguard.public.service import (
    NOTE_EXCERPT,
    QUESTIONS,
    ReportInput,
    idempotency_key,
    note_for,
    report_json,
    report_problems,
)

WHEN = datetime(2026, 11, 25, 21, 4, 5, tzinfo=UTC)
answer = st.sampled_from(["yes", "no"])
story = st.text(min_size=1, max_size=5000).filter(lambda s: s.strip() != "")
drama_mobile = st.integers(min_value=0, max_value=999).map(lambda n: f"07700 900{n:03d}")
anything = st.text(max_size=60)
GOOD = ReportInput(danger_now="no", what_happened="He hit me.", phone="07700 900123", voicemail_safe="no",
                   text_safe="yes")


@given(danger=answer, what=story, phone=drama_mobile, voicemail=answer, text=answer)
def test_a_complete_report_is_accepted_and_kept_as_given(danger: str, what: str, phone: str, voicemail: str,
                                                         text: str) -> None:
    data = ReportInput(danger_now=danger, what_happened=what, phone=phone, voicemail_safe=voicemail, text_safe=text)
    assert report_problems(data) == {}
    report = report_json(data, WHEN)
    assert report["what_happened"] == what.strip()
    assert report["danger_now"] is (danger == "yes")
    assert report["phone"] == "+44" + phone.replace(" ", "")[1:]
    assert report["voicemail_safe"] is (voicemail == "yes") and report["text_safe"] is (text == "yes")
    assert report["submitted_at"] == "2026-11-25T21:04:05Z"
    note = note_for(report)
    assert note.startswith("Online report: someone is in danger now." if danger == "yes" else "Online report.")
    assert len(note) <= len("Online report: someone is in danger now. Safe contact: no voicemail, no texts. ") \
        + NOTE_EXCERPT


@given(danger=anything, what=anything, phone=anything, email=anything, voicemail=anything, text=anything,
       where=st.text(max_size=400))
def test_any_input_gets_field_errors_in_question_order_never_an_exception(
        danger: str, what: str, phone: str, email: str, voicemail: str, text: str, where: str) -> None:
    errors = report_problems(ReportInput(danger_now=danger, what_happened=what, phone=phone, email=email,
                                         voicemail_safe=voicemail, text_safe=text, where=where))
    assert list(errors) == [q for q in QUESTIONS if q in errors]
    assert ("danger_now" in errors) is (danger not in ("yes", "no"))
    assert ("what_happened" in errors) is (what.strip() == "")
    assert ("where" in errors) is (len(where.strip()) > 300)
    if not phone.strip() and not email.strip():
        assert errors["phone"] == "Enter a phone number or an email address that is safe for us to use"
    if not phone.strip():
        assert "voicemail_safe" not in errors and "text_safe" not in errors, "asked only about a phone number"


def test_voicemail_and_texts_must_be_answered_for_a_phone_number() -> None:
    errors = report_problems(replace(GOOD, voicemail_safe="", text_safe=""))
    assert errors == {"voicemail_safe": "Select yes if it is safe for us to leave a voicemail on this number",
                      "text_safe": "Select yes if it is safe for us to send a text message to this number"}
    assert report_problems(replace(GOOD, phone="", email="me@example.org", voicemail_safe="", text_safe="")) == {}


@given(what=story, other=story)
def test_the_same_form_and_answers_are_one_report_and_changed_answers_another(what: str, other: str) -> None:
    form_id = "A" * 24
    first = idempotency_key(form_id, replace(GOOD, what_happened=what))
    assert first is not None and first == idempotency_key(form_id, replace(GOOD, what_happened=what))
    assert (idempotency_key(form_id, replace(GOOD, what_happened=other)) == first) is (other == what)
    assert idempotency_key("B" * 24, replace(GOOD, what_happened=what)) != first
    assert idempotency_key("", GOOD) is None and idempotency_key("bad id!" * 4, GOOD) is None
