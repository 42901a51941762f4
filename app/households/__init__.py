"""户籍 (households): the roster of a village, its tags, contact cadres and contact cards.

Parts: ``checks`` (vocabulary, inputs, validation of a member, the checks of every write), ``roster``
(households and members), ``tags``, ``cadres`` (contact and area cadres, contact cards delivered),
``contact_cards`` (the 联系卡 PDF), the Excel roster in ``excel_read``, ``excel_plan``,
``excel_apply`` and ``excel_export``, ``demo`` (the demo step) and ``cli`` (``python -m app households``).
"""
