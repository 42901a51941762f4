"""上报与同步 screens: the page (page), the village's view (village), the town's import wizard, board and
enrollment (town), conflicts (conflicts), what they share (common) and their table models (models)."""
