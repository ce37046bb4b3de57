"""The numbers: array backend, activations, losses, optimizers, initializers, the model and every block
kind."""
