"""The NumPy-only predict() export."""
