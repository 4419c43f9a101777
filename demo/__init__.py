"""`hallcall demo`: the hub, a kiosk, the hall board with announcements, window 3's screen and the
call keys, all at once against the demo hall: in windows on a desktop (demo/desktop.py), or
without a screen, played through once into a folder of screenshots and WAVs (demo/headless.py).
"""
