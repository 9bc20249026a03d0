"""Rules every reader of credit records applies, below both the departmental imports and
the rating cycle: the five-year rule (`retention`) and credit repair (`repaired`)."""
