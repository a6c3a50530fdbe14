from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.types import TypeDecorator

from loan_scrm.models import metadata

config = context.config


def render_item(kind, obj, autogen_context):
    """Write the stored type, not the app's wrapper, so old revisions never import app code."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
