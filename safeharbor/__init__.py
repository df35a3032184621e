"""Safeharbor: one self-hosted service that runs an online platform's safety and security program."""
