"""Imported once by the ingest's fork server (``ingest.Workers``' preload), before it forks the
workers: what every worker needs is then made once and shared, not made again by each worker at its
start. That is the Whoosh schema's analyzers and the Dutch stemmer of the index's analysis
(``index.fast_analyzer``)."""

from woo_collector.index import ANALYSED, dutch_stem, fast_analyzer

for _field in ANALYSED:
    fast_analyzer(_field)
dutch_stem("gemeenten")
