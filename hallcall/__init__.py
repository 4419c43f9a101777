"""hallcall: queue calling for public service halls.

One import package over the repository's folders (setup.cfg's `package_dir`): `hallcall.server`
is `server/` (the hub), `hallcall.kiosk` is `kiosk/`, `hallcall.display` is `display/`,
`hallcall.printer` is `printer/`, `hallcall.buttons` is `buttons/`, `hallcall.demo` is `demo/`
and `hallcall.hallclient` is `hallclient/` (what every device shares).
"""
