"""Neural Canvas tests: core/ without Qt, gui/ with pytest-qt offscreen."""
