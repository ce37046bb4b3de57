"""Backpropagation Step by Step: forward, loss, backward and update on the canvas, with the chain rule."""
