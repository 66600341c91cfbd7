"""woo-collector: collect e-mail, chats and files into one index for Woo requests."""

__version__ = "0.1.0"
