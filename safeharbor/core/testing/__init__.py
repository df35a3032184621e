"""Helpers for Safeharbor's tests and for the tests of apps built on it."""
