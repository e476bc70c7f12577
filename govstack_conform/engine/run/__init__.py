"""Running: sessions, transport, case runs, journal, auth and verdicts; the only code that talks to a candidate.

May import engine.plan, engine.checks, engine.cases, engine.results and contracts."""
