"""Vulnerability disclosure program and bug bounty."""
