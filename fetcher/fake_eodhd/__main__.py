import sys

from fetcher.fake_eodhd import main

sys.exit(main())
