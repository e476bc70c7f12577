"""Report layer: every report format, merge/diff, evidence bundles, publishing, all rendered from results.

May import assessment (every figure comes from there), engine.results and contracts; never config, app or cli.
A report is rendered from `RunResults` and nothing else, so it can be re-rendered, merged or diffed long after
the run, from `results.json` alone.
"""
