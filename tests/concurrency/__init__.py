"""Seat races against a real server: gunicorn with several workers and threads, a
fresh database per run, trainees released together through a barrier.

``support`` builds the database, starts and stops the server and races the
requests; ``test_seat_races`` holds the scenarios; ``naive_server`` is the same
application with the seat lock taken out, to show the tests catch it.
"""
