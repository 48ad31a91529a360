"""Changing integrations at Ampersand: one deploy service, its records, and what builds on it."""
