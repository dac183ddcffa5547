"""The solver benchmark: run solvers over a suite of forged challenges under budgets, normalize, report."""
