"""Helpers the tests import (conftest files hold fixtures only):

- ``api``: API clients with real tokens, the error code of an answer
- ``sessions``: sessions in each state: through the services (``session_in_state``, with their
  logs and signals) or made by the factory without a history (``session_made``)
- ``chat``: uploads and the chat's URLs and stored files
- ``ratings``: valid scores for each side
- ``threads``: firing requests at once, for the race tests
"""
