"""Checks: small named functions judging one answered step, each returning CheckResults.

May import engine.cases, engine.results, engine.run.runner (the Reply type) and contracts."""
