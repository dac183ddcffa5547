"""Migration 0002 (league, jam and bounty tables) upgrades and downgrades cleanly on SQLite and PostgreSQL."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from server_support import BOTH_DBS

NEW_TABLES = {"mode_settings", "league_rounds", "league_proposals", "jam_projects", "jam_assignments", "jam_reviews",
              "bounty_writeups", "bounty_prizes"}


def _config(url: str) -> Config:
    import interpctf.server.db as db
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def _inspected(url: str, read):
    engine = create_engine(url)
    try:
        return read(inspect(engine))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    return _inspected(url, lambda i: set(i.get_table_names()))


@BOTH_DBS
def test_0002_upgrades_and_downgrades(db_url):
    cfg = _config(db_url)
    command.upgrade(cfg, "0001")
    assert not NEW_TABLES & _tables(db_url) and "events" in _tables(db_url)
    command.upgrade(cfg, "head")
    assert NEW_TABLES <= _tables(db_url)
    command.downgrade(cfg, "0001")
    assert not NEW_TABLES & _tables(db_url) and "submissions" in _tables(db_url)
    command.upgrade(cfg, "head")
    assert NEW_TABLES <= _tables(db_url)


JAM_LOGISTICS_TABLES = {"jam_participants", "jam_ideas", "jam_idea_votes"}


@BOTH_DBS
def test_0003_jam_logistics_upgrades_and_downgrades(db_url):
    cfg = _config(db_url)
    command.upgrade(cfg, "0002")
    assert not JAM_LOGISTICS_TABLES & _tables(db_url) and "jam_projects" in _tables(db_url)
    command.upgrade(cfg, "0003")
    assert JAM_LOGISTICS_TABLES <= _tables(db_url)
    command.downgrade(cfg, "0002")
    assert not JAM_LOGISTICS_TABLES & _tables(db_url) and "jam_reviews" in _tables(db_url)


STUDY_TABLES = {"study_submissions", "study_images", "study_answers"}


@BOTH_DBS
def test_0004_study_upgrades_and_downgrades(db_url):
    cfg = _config(db_url)
    command.upgrade(cfg, "0003")
    assert not STUDY_TABLES & _tables(db_url) and "jam_ideas" in _tables(db_url)
    command.upgrade(cfg, "0004")
    assert STUDY_TABLES <= _tables(db_url)
    command.downgrade(cfg, "0003")
    assert not STUDY_TABLES & _tables(db_url) and "jam_ideas" in _tables(db_url)


def _columns(url: str, table: str) -> set[str]:
    return _inspected(url, lambda i: {c["name"] for c in i.get_columns(table)})


@BOTH_DBS
def test_0005_audit_upgrades_and_downgrades(db_url):
    cfg = _config(db_url)
    command.upgrade(cfg, "0004")
    assert not {"published", "audit"} & _columns(db_url, "hints")
    command.upgrade(cfg, "0005")
    assert {"published", "audit"} <= _columns(db_url, "hints") and "audit" in _columns(db_url, "challenges")
    command.downgrade(cfg, "0004")
    assert not {"published", "audit"} & _columns(db_url, "hints") and "audit" not in _columns(db_url, "challenges")
