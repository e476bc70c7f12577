"""Application layer: the use cases (`run`, `demo`) that tie config, contracts, engine, assessment and reports together.

May import config, report, assessment, mock, engine, datagen, contracts; never cli."""
