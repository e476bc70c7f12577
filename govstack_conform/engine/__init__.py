"""Engine layer: plan cases from a contract, send them, judge the answers (plan/, checks/, run/).

May import datagen and contracts; never assessment, report, config, app or cli.
"""
