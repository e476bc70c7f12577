"""Config layer: the config file, its schema, and the merge of file and command line into typed run settings.

May import assessment (waivers), engine (options, credentials) and contracts (catalog); never report, app or cli."""
