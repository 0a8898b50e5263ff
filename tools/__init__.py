"""Development and test tools, not shipped in the image: the native Kafka and PostgreSQL
launchers (Kafka from the Maven Central jars of ``deploy/kafka/pom.xml``, PostgreSQL from the
server binaries already installed; where Docker is reachable the test fixtures use
testcontainers instead), the whole stack in one command (``python -m tools.stack up``), the
scripted governance cycle, the secured broker's ACLs and the AsyncAPI generator.

They may import the services and test-only dependencies (confluent-kafka, aiosmtpd). They
are run from the repository root and are not part of the installed package.
"""
