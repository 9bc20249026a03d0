"""信用户 / 信用村 / 信用乡镇 ratings.

`rules` holds the rule sets (评定办法) as plain data, `engine` applies them to DataFrames
(pure pandas/numpy, no database, no Flask), `inputs` documents the columns the engine reads.
"""
