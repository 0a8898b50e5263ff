"""``python -m services.accountability.board_report --api ... --out ... [--cycle ...] [--pdf]``"""

from .cli import main

main()
