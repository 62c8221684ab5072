"""Authoring views for coordinators."""
