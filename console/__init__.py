"""The staff web console: server-rendered pages under /console on the same FastAPI app."""
