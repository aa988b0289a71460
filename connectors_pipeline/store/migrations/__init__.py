"""Alembic environment of the store; a package so setuptools ships it with the wheel."""
