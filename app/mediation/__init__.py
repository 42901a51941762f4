"""矛盾纠纷排查调处: screening rounds, the mediation case file, deadlines, statistics and the ledger.

- :mod:`app.mediation.rules`: the fixed lists (sources, types, states) and the state machine.
- The case: :mod:`app.mediation.info` (the plain results, money), :mod:`app.mediation.registration`
  (settings, registration, parties, mediators, rights notice), :mod:`app.mediation.meetings` (调解记录),
  :mod:`app.mediation.agreement` (agreement, signatures, 司法确认), :mod:`app.mediation.states` (state
  changes, archiving, the town's handling), :mod:`app.mediation.casefile` (follow-ups, 卷内目录,
  attachments, opening a case).
- :mod:`app.mediation.screening`: screening rounds (排查) and 零报告.
- :mod:`app.mediation.deadlines`: the 今日待办 provider (one month, 司法确认 30 days, 履行, 回访).
- :mod:`app.mediation.stats`: figures for any period; :mod:`app.mediation.ledger`: the Excel 台账.
- :mod:`app.mediation.documents`: the printed 调解文书 (PDF); :mod:`app.mediation.demo`: the demo step.
"""
