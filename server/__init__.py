"""hallcall hub: the queue engine, its store, the HTTP API and the live event stream."""
__version__ = "0.1.0"
