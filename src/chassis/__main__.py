"""``python -m chassis``."""

import sys

try:
    from chassis.cli import main
except KeyboardInterrupt:
    # Ctrl-C while Python loads chassis, before main() can catch it: nothing has run yet,
    # so say so as main() would, not with a traceback of the import.
    sys.stderr.write("interrupted: nothing was changed\n")
    sys.exit(130)

main()
