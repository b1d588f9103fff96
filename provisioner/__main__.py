import sys

from provisioner.cli.main import main

sys.exit(main())
