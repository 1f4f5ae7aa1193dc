import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is being imported: no traceback
    print("roberta: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
