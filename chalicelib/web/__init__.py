"""Web assets: the orbit.js browser SDK and the demo shop, served by ``chalicelib.web.routes.bp``."""
