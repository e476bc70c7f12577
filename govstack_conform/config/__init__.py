"""Config layer: the config file, its schema, and the merge of file and command line into typed run settings.

May import report (format names), assessment (waivers), engine (options) and contracts; never app or cli."""
