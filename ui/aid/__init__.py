"""帮扶: the village view page, a household's 帮扶 panel, and the record and pair dialogs."""
