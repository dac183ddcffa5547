"""Export and import of a whole event: every table as JSON plus the challenge files, round-tripping between
SQLite and PostgreSQL."""

import base64
import json
import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, LargeBinary, func, select, text

from interpctf.errors import InterpctfError
from interpctf.server.db import Database, migrate
from interpctf.server.jam import WRITEUPS_DIR
from interpctf.server.models import Base, Event
from interpctf.server.setup import CHALLENGES_DIR

JAM_DIR = WRITEUPS_DIR.parts[0]

FORMAT = "interpctf-event-export/1"
SKIP = {"web_sessions", "rate_buckets", "workers"}  # transient
FILE_DIRS = (CHALLENGES_DIR, JAM_DIR)  # files the rows point to: challenges (league proposals too), jam writeups


def _encode(column, value):
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return value.isoformat()
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(value).decode()
    return value


def _decode(column, value):
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value)
    return value


def export_rows(session) -> dict:
    tables = {}
    for table in Base.metadata.sorted_tables:
        if table.name in SKIP:
            continue
        cols = list(table.columns)
        order = [c for c in table.primary_key.columns]
        rows = session.execute(select(table).order_by(*order)).all()
        tables[table.name] = [{c.name: _encode(c, r._mapping[c]) for c in cols} for r in rows]
    return {"format": FORMAT, "tables": tables}


def export_event(db: Database, data_dir: Path, out: Path) -> Path:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InterpctfError(f"{out} is not empty; export into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    with db.read() as s:
        if not db.is_sqlite:  # one snapshot for every table while the event runs (SQLite's read is one already)
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        payload = export_rows(s)
    (out / "event.json").write_text(json.dumps(payload, indent=1))
    for folder in FILE_DIRS:
        src = Path(data_dir) / folder
        if src.exists():
            shutil.copytree(src, out / folder)
    return out


def import_event(source: Path, data_dir: Path, url: str) -> Database:
    source = Path(source)
    try:
        payload = json.loads((source / "event.json").read_text())
    except (OSError, ValueError) as exc:
        raise InterpctfError(f"{source} is not an event export: {exc}") from None
    if payload.get("format") != FORMAT:
        raise InterpctfError(f"{source}/event.json is not an {FORMAT} file")
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)  # a fresh folder: the SQLite file goes there
    migrate(url)
    db = Database(url)
    with db.read() as s:
        if s.scalar(select(Event.id)) is not None:
            raise InterpctfError("this database already holds an event; import into a fresh one")
    for folder in FILE_DIRS:
        if (source / folder).exists():
            dest = data_dir / folder
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(source / folder, dest)
    with db.write() as s:
        for table in Base.metadata.sorted_tables:
            rows = payload["tables"].get(table.name, [])
            if rows:
                cols = {c.name: c for c in table.columns}
                s.execute(table.insert(), [{k: _decode(cols[k], v) for k, v in row.items() if k in cols}
                                           for row in rows])
        if not db.is_sqlite:  # move sequences past the imported ids
            for table in Base.metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement is not False and str(pk[0].type) == "INTEGER":
                    top = s.scalar(select(func.max(pk[0])))
                    if top:
                        s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                                       f":v)"), {"v": top})
    return db
