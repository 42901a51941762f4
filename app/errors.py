"""Errors the user can fix. The message is Chinese and says what to do."""


class UserError(Exception):
    """Raised by services for input or state the user can correct; ``field`` names the field or row."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message
