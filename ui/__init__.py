"""PySide6 user interface. Talks to the database only through ``app`` services (and read-only queries).

Importing this package first makes one start-up cost of PySide6 cheaper (:func:`_cheaper_feature_check`).
"""

from __future__ import annotations

import sys
from types import ModuleType

import PySide6.QtCore  # noqa: F401  (loads PySide6's import hook, which the next lines adjust)


def _cheaper_feature_check() -> None:
    """PySide6 asks of every module imported after it whether its source mentions "PySide6" (PYSIDE-2029,
    for ``from __feature__ import snake_case``), with ``inspect.getsource``: that reads each file into
    ``linecache`` and keeps it there. Measured on the selftest: about 600 modules, 0.05–0.18 s of start-up
    and 20 MB of source text held for good. The same question answered from the file's bytes, kept by
    nobody; a module without a ``.py`` file (builtin, compiled, frozen build) is asked as before."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original) or getattr(original, "minqing", False):
        return

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return bool(original(module))

    uses_pyside.minqing = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]


_cheaper_feature_check()
