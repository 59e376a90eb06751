"""Sending messages: one message to one contact (``send``), what recipients do with it (``tracking``: opens,
clicks, unsubscribes), consent written on the contact (``consent``), and the signed links (``signing``)."""
