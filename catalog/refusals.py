"""What the business rules answer when they refuse a request."""


class Refusal(Exception):
    """A request the rules refuse, with a message for the person and the HTTP status
    that fits (422 unless a subclass says otherwise: 409 for a conflict with the
    current state, 403 for something this person may not do)."""

    status = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
