"""Alembic migrations; `bot.db.upgrade_schema` applies them at start-up."""
