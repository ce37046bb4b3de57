"""The maths behind the Learn views: the perceptron, backpropagation step by step, linear collapse,
activation notes."""
