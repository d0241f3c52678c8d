import sys

from isomer_data.cli.main import main

sys.exit(main())
