"""On the secured broker, people's acts reach Kafka only through the portal: it alone writes
governance.responses, and the shared logins that let any leader forge the Panel are gone."""

from __future__ import annotations

from services.platform.acls import OPS_REDRIVE, READ, TOPIC, WRITE, principals, project_acls, service_principal
from shared.contracts.topics import RESPONSES

SYSTEMS = ["black-country", "lincolnshire"]
GRANTS = project_acls(SYSTEMS)
PORTAL = service_principal("portal")


def test_only_the_portal_may_write_governance_responses_and_the_operators_redrive_what_it_wrote():
    writers = {g.principal for g in GRANTS if g.resource == TOPIC and g.name == RESPONSES.name and g.operation == WRITE}
    # ops-redrive puts back what a service dead-lettered, bytes unchanged: an operator's principal,
    # never a person's, a system's or a service's (README, "Security").
    assert writers == {PORTAL, OPS_REDRIVE}


def test_the_shared_leaders_and_panel_logins_are_gone():
    assert not {service_principal("leaders"), service_principal("panel")} & set(principals(SYSTEMS))


def test_the_portal_reads_its_four_inputs_and_writes_only_its_outputs():
    mine = [g for g in GRANTS if g.principal == PORTAL and g.resource == TOPIC]
    assert {g.name for g in mine if g.operation == READ} == {
        "actions.changes", "accountability.events", "notifications.events", "governance.clock"}
    assert {g.name for g in mine if g.operation == WRITE} == {
        "governance.responses", "notifications.events", "notifications.directory", "portal.deadletter",
        # the upload page's bulk import, one literal grant per system (never a prefix, never feedback)
        "actions.inbound.black-country", "actions.inbound.lincolnshire"}
