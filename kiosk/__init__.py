"""kiosk: placeholder until its issue lands."""
