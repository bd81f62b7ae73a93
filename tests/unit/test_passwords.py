from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.auth import passwords


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = passwords.hash_password("a long unusual passphrase 17")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "a long unusual passphrase 17")
    assert not passwords.verify_password(hashed, "a long unusual passphrase 18")


def test_unknown_user_never_verifies() -> None:
    assert not passwords.verify_password(None, "anything at all here")


def test_short_password_is_refused_with_the_minimum() -> None:
    problems = passwords.password_problems("Tr0ub4dor&3", min_length=12)
    assert any("at least 12 characters" in p for p in problems)


def test_common_passwords_are_refused_even_when_long_enough() -> None:
    for common in ("password1234", "qwertyuiop123", "iloveyou"):
        problems = passwords.password_problems(common, min_length=8)
        assert any("most commonly used" in p for p in problems), common


def test_password_containing_username_is_refused() -> None:
    problems = passwords.password_problems("handler-is-my-name-42", min_length=12, username="handler")
    assert any("username" in p for p in problems)


def test_a_good_passphrase_is_accepted() -> None:
    assert passwords.password_problems("lantern orchard velvet 42", min_length=12, username="sam") == []


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=0, max_size=11))
def test_anything_shorter_than_the_minimum_is_refused(candidate: str) -> None:
    assert passwords.password_problems(candidate, min_length=12)
