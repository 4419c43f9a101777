"""display: placeholder until its issue lands."""
