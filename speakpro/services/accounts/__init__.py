"""Accounts: sign-up and login, login sessions, onboarding, companies, throttles, privacy and retention."""
