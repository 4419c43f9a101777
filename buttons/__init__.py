"""buttons: placeholder until its issue lands."""
