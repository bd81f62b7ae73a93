"""The public pages' early quick exit: an inline script in <head>, allowed by the CSP through its SHA-256 only.

The script (exit_early.js beside this file) is read once; the page gets exactly these characters and the CSP their
hash, so the two cannot drift apart.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from markupsafe import Markup

SOURCE = (Path(__file__).with_name("exit_early.js")).read_text(encoding="utf-8")
# Our own constant, never data: marked safe so that autoescaping leaves the script's quotes alone.
SCRIPT = Markup(SOURCE)  # noqa: S704
CSP_SOURCE = "'sha256-" + base64.b64encode(hashlib.sha256(SOURCE.encode("utf-8")).digest()).decode("ascii") + "'"
