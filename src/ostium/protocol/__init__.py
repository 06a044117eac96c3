"""The OpenID Connect / OAuth 2 engine.

It knows no web framework: `web/` hands it parsed parameters and renders the typed
results it returns (`Redirect`, `Page`, `JsonResult`) or the `OAuthError`s it raises.
"""
