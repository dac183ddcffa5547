# The two entry points of the README. Both set everything up first (idempotent).
.PHONY: setup demo test test-all ci bench

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/interpctf demo

test: setup
	.venv/bin/python -m mypy
	.venv/bin/python -m pytest -q

test-all: setup
	.venv/bin/python -m pytest -q -m ""

# What CI runs: `make test` from an empty model cache (every model trained from nothing).
ci:
	bash .ci/run

bench: setup
	for b in benchmarks/bench_*.py; do .venv/bin/python $$b || exit 1; done
