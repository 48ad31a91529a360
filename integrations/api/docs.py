"""The API's docs page: Swagger UI, served from drf-spectacular-sidecar's vendored files.

It runs under the site's strict CSP: the split view serves Swagger UI's start-up script as a file
('self', no inline script), and templates/drf_spectacular/swagger_ui.html moves the page's inline
<style> to a file. Swagger UI sets its other styles through the DOM, which `style-src` allows.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularSwaggerSplitView

api_docs = SpectacularSwaggerSplitView.as_view(url_name="api:schema")
