"""Format readers that several connectors share; plain functions, no connector classes.

- ``mime``: RFC 5322 / MIME mail to items (eml, mbox, maildir, imap, exchange, graph, files, msg).
- ``mapi``: Outlook messages in plain values and their items (msg and pst).
- ``documents``: text and metadata of documents and attachments, OCR of scans.
- ``chat``: untrusted JSON, epoch and local times, phone numbers, streamed JSON arrays (chat connectors).

Connectors import these and the core (``woo_collector``); the core never imports them.
"""
