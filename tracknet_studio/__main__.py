import sys

from tracknet_studio.cli import main

sys.exit(main())
