"""The guided session in the browser (owned by helper W2): routes mounted by the app.

Placeholder: the real routes follow.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
