"""Deployment: the shipped nginx site and gunicorn settings, run for real."""
