"""Every query of the accountability service (the persistence room), in two modules:

- ``state``: the state the engine keeps and locks while it judges, in the caller's
  transaction; and the whole state as rows, for the replay;
- ``reading``: what people read (histories, the agenda, the Board's picture, statuses).
"""
