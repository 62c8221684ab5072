"""Demonstration data: an illustrative catalogue to try the site with.

``data`` declares the content (courses, sites, organisations, accounts, offerings);
``services.load_demo`` writes it to the database in one transaction.
"""
