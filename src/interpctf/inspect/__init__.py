"""Each interpctf challenge as an ``inspect_ai`` task (``pip install 'interpctf[agents]'``)."""
