"""One module per endpoint, named as the discovery document names it."""
