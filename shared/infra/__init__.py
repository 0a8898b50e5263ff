"""Starts the infrastructure the project needs on a machine without Docker.

Kafka comes from Maven Central jars (``deploy/kafka/pom.xml``), PostgreSQL from the
server binaries already installed. Tests and the ``stack`` command use these; where
Docker is reachable the test fixtures use testcontainers instead.
"""
