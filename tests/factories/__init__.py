"""Factories shared by the tests, one module per domain: plain functions that add rows to the session they
are given and flush. Fixtures stay in the conftests."""
