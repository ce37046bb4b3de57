"""The main window and what hangs off it: dialogs, file actions, model files."""
