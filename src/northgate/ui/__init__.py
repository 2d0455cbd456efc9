"""Presentation shared by every layer that answers with a page: templates and the EN/FR
catalogues, the bundled assets, the site's header and footer, the bilingual error pages, and
the cached-bytes response they are served as.

It sits low (above the domain, below payments, analytics, the edge, the site and the web),
so the waiting room, the sandbox bank's page, the operators' page and the journey all wear
the same chrome; it imports none of the packages that use it.
"""
