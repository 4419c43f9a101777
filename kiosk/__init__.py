"""The touch-screen ticket kiosk (pygame): `hallcall kiosk --hub URL --token TOKEN --printer URL`."""
