"""Safeguard: a police force's domestic abuse response, from the first call to the charge sheet."""

__version__ = "0.1.0"
