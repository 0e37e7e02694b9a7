"""syncservice: validate the workbooks staff save on a shared drive and consolidate them for finance."""

__version__ = "0.1.0"
