"""Live training: the controller, the training process, the toolbar, the timeline."""
