"""Data sets: the built-in ones, painted points, sequences and CSV files."""
