"""群众工作信息员 (docs/informants.md): appointments (``appointments``), the 台账 (``ledger``), the
command line (``cli``) and the demo step (``demo``). Their reports are diary entries of kind 信息员报告
(``app/diary/entries.py``)."""
