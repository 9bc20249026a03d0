"""审核: villages, townships and runs approved up the region tree."""
