import sys

from eodhd_fake import main

sys.exit(main())
