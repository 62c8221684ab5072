"""Enrolment under contention against the production configuration.

The seat-race helpers of ``tests/concurrency/support.py`` do the work (an
offering, trainees, one barrier releasing every enrolment at once, the checks of
what the database holds); this module adds what production asks of a browser
that the tests switch off: a CSRF token with every form, and the ``__Host-``
session cookie.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import Flask

from bench.load import BenchError
from tests.concurrency.support import (
    CONFIRMED,
    PASSWORD,
    WAITLISTED,
    Browser,
    FirstComeRun,
    Reply,
    add_offering,
    add_trainees,
    enrol_calls,
    race,
    seats_of,
    told_after,
)

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class FormBrowser(Browser):
    """A browser that sends its session's CSRF token with every form it posts."""

    def __init__(self, port: int):
        super().__init__(port)
        self.csrf_token = ""

    def send(self, method, path, form=None, connection=None) -> Reply:
        if method == "POST" and self.csrf_token:
            form = {"csrf_token": self.csrf_token, **(form or {})}
        return super().send(method, path, form, connection)

    def open_page(self, path: str) -> Reply:
        """GET a page, keep its cookies and the CSRF token of its forms."""
        reply = self.send("GET", path)
        self.keep(reply)
        if reply.status != 200:
            raise BenchError(f"GET {path} answered {reply.describe()}")
        match = CSRF_FIELD.search(reply.body)
        if match:
            self.csrf_token = match.group(1)
        return reply

    def log_in_with_form(self, email: str, password: str, then: str = "/") -> None:
        """Log in as a person does: the form's page first, then post it. Logging in
        starts a new session, so the token is read again from ``then``."""
        self.open_page("/account/login")
        reply = self.log_in(email, password)
        if reply.status != 302 or not any("session" in name for name in self.cookies):
            raise BenchError(f"login of {email} failed: {reply.describe()}")
        self.open_page(then)

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


@dataclass(frozen=True)
class Round:
    seconds: float
    trainees: int
    confirmed: int
    waitlisted: int
    overbooked: int
    problems: list[str]
    statuses: dict

    @property
    def per_second(self) -> float:
        return self.trainees / self.seconds if self.seconds else 0.0


def run_round(app: Flask, port: int, trainees: int, capacity: int) -> Round:
    """One first-come-first-served offering, ``trainees`` people logged in, all their
    enrolments released at once; timed from the release to the last answer."""
    offering_id = add_offering(app, capacity)
    people = add_trainees(app, f"bench{offering_id}", ["KE"] * trainees)
    offering_page = f"/offerings/{offering_id}"

    def log_in(person) -> None:
        person.browser = FormBrowser(port)
        person.browser.log_in_with_form(person.email, PASSWORD, then=offering_page)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(log_in, people))
    result = race(enrol_calls(people, offering_id))
    told = told_after([(p.browser, r) for p, r in zip(people, result.replies, strict=True)])
    run = FirstComeRun(
        offering_id=offering_id,
        capacity=capacity,
        quotas={},
        trainees=people,
        race=result,
        told=told,
        seats=seats_of(app, offering_id),
    )
    counts = run.by_status()
    return Round(
        seconds=result.seconds,
        trainees=trainees,
        confirmed=counts[CONFIRMED],
        waitlisted=counts[WAITLISTED],
        overbooked=max(0, counts[CONFIRMED] - capacity),
        problems=run.problems(),
        statuses=dict(sorted(result.statuses().items(), key=lambda kv: str(kv[0]))),
    )
