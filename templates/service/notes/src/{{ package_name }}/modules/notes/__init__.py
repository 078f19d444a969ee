"""Notes: the example module, showing the pattern end to end."""
