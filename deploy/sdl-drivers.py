"""Print the video drivers compiled into the SDL library that pygame loads; exit 0 when KMSDRM
is one of them. install.sh runs it with the hallcall virtualenv's Python for --screen kms.

`SDL_VIDEODRIVER=kmsdrm` alone cannot tell: SDL says "kmsdrm not available" both when the
driver was left out of the build (PyPI's pygame wheels) and when there is no screen to drive
(an SSH session on a machine without /dev/dri). The list of compiled-in drivers can.
"""
import ctypes
import os
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
try:
    import pygame  # noqa: F401  (loads its SDL library into this process)
except ImportError as exc:
    print(f"pygame is not installed: {exc}", file=sys.stderr)
    sys.exit(2)

with open("/proc/self/maps") as maps:
    # libSDL2-2.0.so.0 (Debian's), or libSDL2-2-<hash>.0.so.0.NNNN (bundled in a wheel)
    paths = sorted({line.split()[-1] for line in maps if "/libSDL2-2" in line})
if not paths:
    print("pygame's SDL library was not found in this process", file=sys.stderr)
    sys.exit(2)
sdl = ctypes.CDLL(paths[0])
sdl.SDL_GetVideoDriver.restype = ctypes.c_char_p
names = [sdl.SDL_GetVideoDriver(i).decode() for i in range(sdl.SDL_GetNumVideoDrivers())]
print(f"{paths[0]}: {' '.join(names)}")
sys.exit(0 if "KMSDRM" in names else 1)
