"""Our own OpenAPI document, loaded through the WSGI app, for the schemathesis suites."""

import schemathesis

from genfans.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
