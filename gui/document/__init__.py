"""The open design: undo commands, the clipboard, autosave and recovery."""
