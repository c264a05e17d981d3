"""Shared hypothesis strategies (``tests.property.strategies``) for the property tests."""
