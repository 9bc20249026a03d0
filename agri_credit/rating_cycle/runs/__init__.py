"""评定批次: rating runs, their inputs read from the database, results and re-rating."""
