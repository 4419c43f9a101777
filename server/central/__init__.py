"""`hallcall central`: the city's server. Each hall's hub forwards its events to it (in sequence
order, in batches, from its own database); it keeps each (hall, seq) once and serves the halls'
live state, the hub's reports over every hall, and the city overview page (docs/central.md).

ingest.py takes a hall's POST, state.py reads the halls' live state, reports.py runs the hub's
report SQL (server/reports) over the central's tickets, app.py is the web edge.
"""
