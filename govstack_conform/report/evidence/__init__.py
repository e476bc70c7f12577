"""Evidence: the bundle (HAR, hashes, signed manifest) and the text of one failure's evidence.

May import assessment, engine.results and report.redact."""
