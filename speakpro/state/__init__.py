"""Reflex states: UI state per page domain; handlers validate input and call services."""
