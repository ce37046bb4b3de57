"""The Boundary panel: the network's output (or a neuron's map) over the input plane."""
