class PrintError(Exception):
    """Printing failed; the message is fit for the kiosk's screen (the ticket is already issued)."""

    def __init__(self, message: str, message_zh: str):
        super().__init__(message)
        self.message, self.message_zh = message, message_zh
