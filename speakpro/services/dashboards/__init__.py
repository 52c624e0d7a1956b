"""Dashboards: learners' progress and companies' team figures, and who may see them."""
