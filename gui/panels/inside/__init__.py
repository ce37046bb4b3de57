"""The Inside panel: filters and feature maps, a recurrent block's predictions, an autoencoder's code."""
