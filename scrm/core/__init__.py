"""Shared machinery every domain builds on: settings, the database, errors, money, jobs, domain events,
the state machine, logging, rate limits, personal-data crypto, safe XML, body limits and spreadsheet
cells. It imports no domain."""
