"""Assessment layer: every figure a verdict states (counts, compliance %, level, waivers, gate), computed once.

May import engine (its results and case model) and contracts; never report, app, config or cli."""
