"""评定办法: rule sets as versions (draft, edit, publish, compare)."""
