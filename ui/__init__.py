"""PySide6 user interface. Talks to the database only through ``app`` services (and read-only queries)."""
