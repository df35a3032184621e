"""Safeharbor: one self-hosted service that runs a platform's safety and security program."""
