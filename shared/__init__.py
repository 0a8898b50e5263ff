"""The foundation the services stand on: contracts, messaging, the outbox, database, logging,
the settings base and HTTP basics. Nothing here imports a service; what runs beside them
is in services/platform/, and development and test tools are in tools/."""
