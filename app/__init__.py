"""Services, rules, import/export, sync and the command line. Never imports ``ui`` or PySide6."""

__version__ = "0.1.0"
