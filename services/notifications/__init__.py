"""The notifications service: turns escalations, reminders and agendas into notices people receive."""
