"""``python -m runtime`` runs ``qrun``."""

import sys

from runtime.cli import main

if __name__ == "__main__":  # spawned Dask workers re-import this module as __mp_main__
    sys.exit(main())
