"""``python -m chalicelib.cli``."""

from chalicelib.cli.main import main

raise SystemExit(main())
