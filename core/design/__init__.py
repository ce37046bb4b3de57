"""The design itself: nodes, wires, settings, events; its vocabulary (errors, names, the registry) and
safe file primitives."""
