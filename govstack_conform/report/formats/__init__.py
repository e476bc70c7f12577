"""Report formats: one module per format behind the small `Format` interface of base.py.

Each renders RunResults and its assessment into bytes; may import assessment, engine.results and text."""
