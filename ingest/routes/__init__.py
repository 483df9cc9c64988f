"""The edge's HTTP routes, one module per channel."""
