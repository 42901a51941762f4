"""The yardstick of time to window: a bare ``QMainWindow`` in a fresh process, started and measured as
``python -m app selftest`` is (``python -m bench.bare_window`` from the project folder, the same
interpreter and environment, the offscreen platform; the clock runs from the process's start as
:func:`ui.selftest.seconds_since_process_start` reads it, to the window shown at 1366×700 and its
events settled). Prints one JSON line: ``time_to_window_s`` and ``peak_rss_mb``.

It imports nothing of the program, on purpose: what it costs is what Python and Qt cost before any
window can show, the part the program cannot cut.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def seconds_since_process_start() -> float:
    stat = Path("/proc/self/stat").read_text()
    start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
    return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    from PySide6.QtCore import QDeadlineTimer, QEventLoop
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("民情簿")
    window.resize(1366, 700)  # ui.selftest.SCREEN_SIZE
    window.show()
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, QDeadlineTimer(20))  # ui.selftest._settle
    shown = seconds_since_process_start()
    print(json.dumps({"time_to_window_s": round(shown, 3), "peak_rss_mb": round(peak_rss_mb(), 1)}))
    window.close()
    return 0


if __name__ == "__main__":
    if not sys.platform.startswith("linux"):
        raise SystemExit("bench.bare_window reads /proc: Linux only")
    sys.exit(main())
