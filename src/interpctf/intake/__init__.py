"""Bounded intake: everything uploaded from outside is checked from its headers before its data is read.

- :mod:`.arrays`: ``.npz`` answers (zip central directory, then each ``.npy`` header) and ``.safetensors``
  files (header length, names, dtypes, shapes and offsets), checked against what the challenge expects;
- :mod:`.archives`: bundle tar archives (member count, sizes, paths) read header by header, stopping at a cap;
- :mod:`.models`: a proposer's ``config.json`` against the kind's allowed model families and sizes, with the
  parameter count computed from the config, before any model is built;
- :mod:`.source`: Python answers parsed with their size and nesting bounded first.

Each refusal is one line (``BadAnswer`` for answers, ``BadBundle`` for bundles) and costs memory proportional
to the headers, never to what they declare.
"""
