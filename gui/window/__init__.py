"""The main window and what hangs off it: dialogs, file actions, exports of pictures and models."""
