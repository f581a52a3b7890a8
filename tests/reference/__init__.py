"""Slow, obviously-correct reference implementations that judge seqmine's fast code."""
