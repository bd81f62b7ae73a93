"""Files staff download: never cached, always an attachment with a name that says what it is."""

from __future__ import annotations

from fastapi.responses import Response


def csv_attachment(body: str, filename: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
