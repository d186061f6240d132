"""The one way a document leaves the app: every download route answers through `document`.

Whatever name the assuré typed and whatever type a row says, a document is served:
- as `application/pdf` with a `.pdf` name — except the photos of the messagerie, whose bytes
  are a real JPEG or PNG: their own image type and extension (never SVG, never HTML);
- `Content-Disposition: attachment` (never shown inside the app's origin);
- `X-Content-Type-Options: nosniff` (the browser may not guess HTML in a PDF/HTML polyglot);
- `Content-Security-Policy: default-src 'none'; sandbox` (if a browser still renders it, it
  runs in an opaque origin without scripts, forms or plugins, and loads nothing);
- `Cache-Control: no-store` (the after_request hook; documents are personal or medical).
"""
from __future__ import annotations

import io

from flask import send_file

from app.documents.pieces_jointes import JPEG, PDF, PNG, type_de
from app.documents.storage import safe_download_name

CSP_DOCUMENT = "default-src 'none'; sandbox"


def type_servi(data: bytes, content_type: str | None) -> str:
    """The type a stored document is served as: an image only when the row says so and its
    bytes agree; anything else (a PDF, an old row with another type, no type) is a PDF."""
    if content_type in (JPEG, PNG) and type_de(data) == content_type:
        return content_type
    return PDF


def document(data: bytes, content_type: str | None, nom: str, defaut: str = "document"):
    """The download response for a document's bytes (see the module docstring)."""
    servi = type_servi(data, content_type)
    response = send_file(io.BytesIO(data), mimetype=servi, as_attachment=True,
                         download_name=safe_download_name(nom, defaut, servi), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = CSP_DOCUMENT
    response.headers["Cache-Control"] = "no-store"
    return response
