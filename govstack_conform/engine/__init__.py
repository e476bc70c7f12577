"""The conformance engine: plan cases from a contract, send them, judge the answers."""
