"""A package so that rule tests may share base names with server tests (test_league.py in both)."""
