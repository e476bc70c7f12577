"""Planning: a contract (and test data) into deterministic cases; pure, nothing is sent.

May import engine.cases, datagen and contracts."""
