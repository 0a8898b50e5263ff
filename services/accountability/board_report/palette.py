"""The report's colours: presentation only, the same in the heatmap, the cards and every chart.

Colour-blind-safe enough and distinct in print. A status's words come from
``shared.contracts.vocabulary``; only its colour is the report's own.
"""

from __future__ import annotations

STATUS_COLOUR = {"on_track": "#2e7d4f", "at_risk": "#e0a100", "off_track": "#c62828",
                 "completed": "#5b7fa6", "withdrawn": "#9e9e9e"}
CELL_FILL = {"on_track": "#cfe8d8", "at_risk": "#fbe3a1", "off_track": "#f4b4b0",
             "completed": "#d3deea", "withdrawn": "#eeeeee"}
NO_ACTIONS_FILL = "#ffffff"
DONE_BAR = "#4a5d8a"  # the bars of the "what was done" chart
SLIPPED_INK = "#222"  # the line of actions slipped, across cycles
