"""printer: placeholder until its issue lands."""
