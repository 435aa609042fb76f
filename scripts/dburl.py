"""Print DATABASE_URL with its database name replaced: dburl.py URL NEWNAME."""

import sys
from urllib.parse import urlsplit, urlunsplit

url, name = sys.argv[1], sys.argv[2]
parts = urlsplit(url)
print(urlunsplit(parts._replace(path="/" + name)))
