"""The Activation Explorer: each activation's curve and slope, and why a network needs them."""
