"""The Compare view: variants of the design trained side by side, their curves, table and boundaries."""
