"""The API's one shape for a refusal: `{"detail": what was not done, "errors": [{"field", "message"}]}`."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import JSONResponse


def refusal(detail: str, errors: Mapping[str, str], names: Mapping[str, str] | None = None, *,
            status_code: int = 422) -> JSONResponse:
    """`errors` maps a service's field keys to messages; `names` renames keys to the API's field names."""
    names = names or {}
    return JSONResponse({"detail": detail, "errors": [{"field": names.get(key, key), "message": message}
                                                      for key, message in errors.items()]},
                        status_code=status_code)
