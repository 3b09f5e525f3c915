# The same console formats in Arabic (Django's own ar formats use other separators and 12-hour times).
from backoffice.formats.en.formats import *  # noqa: F403
