"""Guided lessons as data: text, the scenarios they run and the claims they make."""
