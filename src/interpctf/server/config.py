"""Server settings: one object, built from CLI options or environment (``INTERPCTF_*``)."""

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, Field


class Settings(BaseModel):
    data_dir: Path = Path("interpctf-event")  # database (SQLite), challenge files, exports
    database_url: str = ""  # default: sqlite:///<data_dir>/event.db
    max_upload_bytes: int = 1 << 20
    max_bundle_bytes: int = 256 << 20  # a challenge bundle proposed to a league (a model inside)
    wrong_per_minute: int = Field(default=10, ge=1)  # submissions per account per minute (CTFd default: 10)
    auth_per_minute: int = Field(default=20, ge=1)  # login/registration attempts per client address per minute
    session_days: float = 7.0
    executor: str = "local"  # interpctf.executor backend for graders: local, ray, inline
    grading_workers: int = 2
    run_worker: bool = True  # run the grading worker inside the web process
    worker_stale_seconds: float = 30.0  # a worker silent this long is presumed dead; its claims are re-queued
    cache_seconds: float = 2.0  # how long the event window and challenge rows are kept in memory
    board_poll_seconds: float = 0.25  # how often the board refresher checks for new grades (0: no refresher)
    board_lag_seconds: float = 1.0  # the served board reflects every grade stored longer ago (0: always exact)
    grade_delay_seconds: float = 0.0  # fault-injection for tests: pause after claiming, before grading
    cookie_secure: bool = False
    secret: str = Field(default_factory=lambda: secrets.token_hex(16))

    def url(self) -> str:
        return self.database_url or f"sqlite:///{(Path(self.data_dir) / 'event.db').resolve()}"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        env = {}
        for name in cls.model_fields:
            value = os.environ.get(f"INTERPCTF_{name.upper()}")
            if value is not None:
                env[name] = value
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(env)
