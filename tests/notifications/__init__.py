"""Notices, their delivery by e-mail, and the scheduler process that sends them."""
