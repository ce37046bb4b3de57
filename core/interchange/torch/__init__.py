"""The PyTorch training-script export."""
