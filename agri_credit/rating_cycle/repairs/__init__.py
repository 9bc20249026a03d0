"""信用修复: credit-repair applications for negative public records and their decisions."""
