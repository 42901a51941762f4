"""The case screen (卷宗), one module per tab.

- :mod:`ui.mediation.case.dialog`: :class:`CaseDialog`, the shell: header, state actions, printing, the tabs.
- :mod:`ui.mediation.case.tab`: what every tab shares (the dialog it belongs to, signing a document).
- One module per tab: :mod:`~ui.mediation.case.registration` (登记), :mod:`~ui.mediation.case.parties`
  (当事人), :mod:`~ui.mediation.case.meetings` (调解记录), :mod:`~ui.mediation.case.agreement` (协议),
  :mod:`~ui.mediation.case.follow_ups` (回访), :mod:`~ui.mediation.case.casefile` (卷宗),
  :mod:`~ui.mediation.case.history` (历程).
"""
