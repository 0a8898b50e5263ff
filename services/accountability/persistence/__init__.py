"""Every query of the accountability service (the persistence room), in three modules:

- ``state``: the state the engine keeps and locks while it judges, in the caller's
  transaction; and the whole state as rows, for the replay;
- ``acting``: who is who, what a person's right to act is checked against, people's acts and
  the acts refused (security events);
- ``reading``: what people read (histories, the agenda, the Board's picture, statuses).
"""
