"""The parity kind passes interpctf's kind contract (forged once from the package's reference recipe)."""

from interpctf.testing import kind_contract

TestParity = kind_contract("parity", query="[[0, 1, 0, 0, 1, 1, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]")
