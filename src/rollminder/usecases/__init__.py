"""The use cases behind the one facade, :class:`rollminder.service.Rollminder`, a module each."""
