"""The web layer: templates, translations, assets and routes for HTML pages."""
