"""民情日记: entries, demands (诉求) and their handling, acknowledgement (群众签字认可), amendments,
drafts, must-visit events (必访) and the visit rhythm. Reminders, never scores.

Every date rule takes ``today`` (or ``now``) as a parameter, so tests run on a fixed clock.

- :mod:`app.diary.entries`: the entry vocabularies, input and detail records, saving, deleting and
  reading an entry, amendments (补记) and attachments.
- :mod:`app.diary.acknowledgement`: what the resident signs (the canonical content and its hash) and
  the acknowledgement itself (签字, 纸质签字, 拒签).
- :mod:`app.diary.demands`: demand categories, the 待办 → 已答复 → 已办结 steps, reply and close.
- :mod:`app.diary.visits`: must-visit events, the visit rhythm, last visits, overdue households, the
  household's timeline.
- :mod:`app.diary.todo`: the 今日待办 provider; :mod:`app.diary.drafts`: drafts (草稿).
- :mod:`app.diary.common`: small helpers the modules share.
- :mod:`app.diary.ledger`: the 民情台账 and diary Excel exports; :mod:`app.diary.cli`: their commands.
- :mod:`app.diary.documents`: the printed diary pages; :mod:`app.diary.demo`: the demo step.
"""
