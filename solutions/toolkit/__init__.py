"""The toolkit problem modules import: activations, layers, losses, the gradient checker,
the number formatter and the figure style. Authors use these; see the staff guide."""
