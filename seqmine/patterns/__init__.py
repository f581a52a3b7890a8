"""Mined pattern tables."""
