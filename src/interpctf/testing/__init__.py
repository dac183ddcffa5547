"""Test helpers for kinds: :func:`kind_contract`, the suite every kind (built-in or third-party) passes."""

from interpctf.testing.contract import MALFORMED_ANSWERS, MALFORMED_QUERIES, KindContract, kind_contract

__all__ = ["kind_contract", "KindContract", "MALFORMED_ANSWERS", "MALFORMED_QUERIES"]
