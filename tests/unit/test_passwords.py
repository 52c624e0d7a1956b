"""Password hashing: argon2id at OWASP's cost, salted, verified in constant form."""

from argon2 import extract_parameters

from speakpro.services.accounts.passwords import hash_password, needs_rehash, verify_password


def test_hash_uses_argon2id_with_owasp_parameters():
    hashed = hash_password("correct horse battery staple")
    params = extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    assert params.memory_cost >= 19 * 1024
    assert params.time_cost >= 2
    assert params.parallelism == 1
    assert not needs_rehash(hashed)


def test_hashes_are_salted_and_verify():
    first, second = hash_password("pa55word-long"), hash_password("pa55word-long")
    assert first != second
    assert verify_password(first, "pa55word-long")
    assert not verify_password(first, "pa55word-lonG")


def test_missing_or_malformed_hash_never_verifies():
    assert not verify_password(None, "anything")
    assert not verify_password("", "anything")
    assert not verify_password("$argon2id$garbage", "anything")
