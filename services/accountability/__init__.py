"""The accountability service: judges every action, runs the escalation ladder and the governance cycle."""
