"""The migrations build exactly the schema the models describe, on PostgreSQL and on SQLite."""

from alembic import command

from scrm.migrations import alembic_config, upgrade
from tests.conftest import TEST_DB_URL


def test_models_and_migrations_agree_on_postgres(engine):
    command.check(alembic_config(TEST_DB_URL))  # raises when a model change has no revision


def test_migrations_run_on_the_embedded_sqlite_default(tmp_path):
    url = f"sqlite:///{tmp_path / 'scrm.db'}"
    upgrade(url)
    command.check(alembic_config(url))
    command.downgrade(alembic_config(url), "base")
