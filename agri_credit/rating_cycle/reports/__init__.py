"""评定统计: dashboard figures and the XLSX / PDF exports of a run."""
