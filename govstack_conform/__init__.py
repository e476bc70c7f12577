"""govstack-conform: does a product really implement a GovStack building block?"""

from __future__ import annotations

__version__ = "0.1.0"
