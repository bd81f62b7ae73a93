"""Passwords: argon2id hashes, a length-based policy, and a check against common passwords."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# Verifying against this when a username is unknown keeps the response time the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships frequency lists gathered from real password leaks; its "passwords" list is the
    # 30,000 most common.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, min_length: int, username: str | None = None) -> list[str]:
    """Everything wrong with a proposed password, in words a user can act on. Empty means acceptable."""
    problems: list[str] = []
    if len(password) < min_length:
        problems.append(f"Password must be at least {min_length} characters long; a few unrelated words work well.")
    if len(password) > 256:
        problems.append("Password must be 256 characters or fewer.")
    lowered = password.lower()
    if lowered in _common_passwords() or lowered.rstrip("0123456789!") in _common_passwords():
        problems.append("Password is one of the most commonly used passwords; choose something less predictable.")
    if username and username.lower() in lowered:
        problems.append("Password must not contain your username.")
    if len(set(password)) < 4 and password:
        problems.append("Password must not repeat the same few characters.")
    return problems
