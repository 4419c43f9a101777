"""A package so that the browser fixture (conftest.py) can be package-scoped: one chromium for
the browser tests here, closed when the run leaves this folder (a playwright left running
would refuse any other sync_playwright or asyncio.run of the session)."""
