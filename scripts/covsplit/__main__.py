import sys

from covsplit.cli import main

sys.exit(main())
