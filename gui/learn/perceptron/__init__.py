"""The Perceptron Walkthrough: a decision as a weighted sum and a threshold, then learned."""
