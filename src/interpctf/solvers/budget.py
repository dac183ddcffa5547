"""What a solver may spend on one challenge: wall-clock seconds and, where the kind can count them, model queries."""

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interpctf.errors import InterpctfError


class SolverBudget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(default=300.0, gt=0, le=86_400, description="wall clock for one solve")
    max_queries: int | None = Field(default=None, ge=1, description="model inputs a solver may query; None: any")


class BudgetExceeded(InterpctfError):
    """A solver asked for more than its budget allows."""


def parse_budget(**values) -> SolverBudget:
    """A SolverBudget from user input; a bad value is a one-line error naming the field."""
    try:
        return SolverBudget(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InterpctfError(f"bad budget: {field}: {first['msg']}") from None


class QueryMeter:
    """Counts model queries against ``SolverBudget.max_queries``; solvers call :meth:`spend` before each batch."""

    def __init__(self, budget: SolverBudget):
        self.limit = budget.max_queries
        self.used = 0

    def allows(self, n: int) -> bool:
        return self.limit is None or self.used + n <= self.limit

    def spend(self, n: int) -> None:
        if not self.allows(n):
            raise BudgetExceeded(f"query budget exhausted: {self.used} used, {n} more asked, limit {self.limit}")
        self.used += n

    def remaining(self) -> int | None:
        return None if self.limit is None else self.limit - self.used
