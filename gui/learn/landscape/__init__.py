"""The Loss Landscape: the loss over two weights, as contours or a surface, with the descent path."""
