"""Training: the trainer, the training process, the timeline, probes for views, inside views, the loss
landscape."""
