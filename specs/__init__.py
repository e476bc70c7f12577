"""The project catalog of GovStack contracts and BB profiles, shipped as package data."""
