"""Common code for the three services: contracts, settings, logging, persistence helpers."""
