"""The Data panel: choosing, shaping, painting and importing the design's data set."""
