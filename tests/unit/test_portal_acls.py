"""On the secured broker, people's acts reach Kafka only through the portal: it alone writes
governance.responses, and the shared logins that let any leader forge the Panel are gone."""

from __future__ import annotations

from shared.contracts.topics import RESPONSES
from tools.acls import READ, TOPIC, WRITE, principals, project_acls, service_principal

SYSTEMS = ["black-country", "lincolnshire"]
GRANTS = project_acls(SYSTEMS)
PORTAL = service_principal("portal")


def test_only_the_portal_may_write_governance_responses():
    writers = {g.principal for g in GRANTS if g.resource == TOPIC and g.name == RESPONSES.name and g.operation == WRITE}
    assert writers == {PORTAL}


def test_the_shared_leaders_and_panel_logins_are_gone():
    assert not {service_principal("leaders"), service_principal("panel")} & set(principals(SYSTEMS))


def test_the_portal_reads_its_four_inputs_and_writes_only_its_outputs():
    mine = [g for g in GRANTS if g.principal == PORTAL and g.resource == TOPIC]
    assert {g.name for g in mine if g.operation == READ} == {
        "actions.changes", "accountability.events", "notifications.events", "governance.clock"}
    assert {g.name for g in mine if g.operation == WRITE} == {
        "governance.responses", "notifications.events", "notifications.directory", "portal.deadletter"}
