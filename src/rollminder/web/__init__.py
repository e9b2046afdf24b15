"""The local web app (``rollminder serve``): see :mod:`rollminder.web.app` and docs/web.md."""
