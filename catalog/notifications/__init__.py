"""Telling people things: messages queued in the outbox, delivered by e-mail."""
