"""From a design to a model: validation, precision and memory checks, compilation, regrouping."""
