"""woo-collector: collect e-mail, chats and files into one index for Woo requests.

The core: ``models`` (the protocol types connectors yield), ``store`` (originals), ``catalog``
(the only place with SQL), ``index``, ``ingest`` (``ingest_sources``, ``import_path``),
``requests``, ``redaction``, ``dates`` (the local zone) and ``registry`` (which connector reads
which TYPE). It never imports ``connectors`` or ``exports``; ``cli`` is the application on top.
"""

__version__ = "0.1.0"
