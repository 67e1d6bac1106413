"""Billing admin. Usage (records, reservations, every team's usage) lives in admin_usage."""

from billing import admin_usage  # noqa: F401  (registers the usage admin)
