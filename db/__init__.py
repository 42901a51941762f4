"""Persistence layer: SQLAlchemy models, the engine, migrations and read-only queries.

This package never imports ``app`` or ``ui``.
"""
