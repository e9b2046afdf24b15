"""rollminder: plans, reminds, guides and logs at-home derma-roller sessions."""

__version__ = "0.1.0"
