"""Services, rules, import/export, sync and the command line. Never imports ``ui`` or PySide6."""

import time as _time

__version__ = "0.1.0"

STARTED_AT = _time.perf_counter()  # fallback for "time since start" where /proc is not available
