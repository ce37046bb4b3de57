"""The desktop application: windows, canvas and panels over core (the editor comes next)."""
