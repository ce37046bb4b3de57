"""The ensemble axis: K variants of one compiled design trained as one batched computation, every
array with a leading K axis (the model, its layers, losses and optimizers)."""
