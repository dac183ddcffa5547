"""``labelfn/rulesearch``: recover a labelfn challenge's rule as a small program from model queries alone."""
