class PrintError(Exception):
    """Printing failed; the message is fit for the kiosk's screen (the ticket is already issued).

    `sent` is None when nothing reached the printer (it could not be opened, or the job was
    refused whole); otherwise the bytes it had taken when the job broke off: some of the ticket
    may be on paper, so the citizen is told it may be incomplete, and it is never printed again."""

    def __init__(self, message: str, message_zh: str, sent: int | None = None):
        super().__init__(message)
        self.message, self.message_zh, self.sent = message, message_zh, sent

    @property
    def partial(self) -> bool:
        return self.sent is not None
