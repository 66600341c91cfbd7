"""The connector interface.

A connector turns one kind of input into ``Item``s. It knows nothing of the catalog or the index:
it hands originals to a ``Sink`` (which stores them bit for bit and returns their SHA-256) and
yields what it found:

- ``Item``: something collected;
- ``Failure``: a part that could not be read (its original already kept); the run goes on;
- ``Deletion``: a server says an item is gone (recorded, never applied to the store);
- ``Checkpoint``: a sync state to save *after* everything yielded before it is committed, so an
  interrupted run resumes where it stopped and a finished unit is skipped next time.

A connector declares the ``--set KEY=VALUE`` settings it takes in ``settings_class`` (a dataclass
of ``woo_collector.connector_settings``); ``self.settings`` is that dataclass, parsed on first use.
Raise ``ConfigError`` when the settings are wrong, ``ConnectorError`` when an input cannot be read
(not a PST, a damaged file), ``SourceUnavailable`` when a server cannot be reached or refuses the
credentials (see ``woo_collector.errors``).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Iterator

from woo_collector.connector_settings import ConnectorSettings, parse_settings
from woo_collector.errors import ConnectorError
from woo_collector.models import Checkpoint, Failure, Sink, SourceSpec, Yield, stable_id

__all__ = ["Checkpoint", "Connector", "Sink", "SourceSpec", "Yield", "walk_files"]


class Connector(ABC):
    """Base class: one subclass per format or protocol, in ``connectors/<name>.py``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    network: ClassVar[bool] = False  # pulls from a server rather than reading a path
    settings_class: ClassVar[type[ConnectorSettings]] = ConnectorSettings  # the settings it takes (none)

    def __init__(self, spec: SourceSpec, sink: Sink):
        self.spec = spec
        self.sink = sink

    @classmethod
    def check_settings(cls, spec: SourceSpec) -> ConnectorSettings:
        """The settings of ``spec`` parsed by this connector's declaration; ConfigError saying what to fix."""
        return parse_settings(cls.settings_class, spec.settings, spec.name, cls.name)

    @cached_property
    def settings(self) -> ConnectorSettings:
        """This source's settings, parsed (ConfigError when they are wrong)."""
        return self.check_settings(self.spec)

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        """How sure this connector is that it reads ``path`` (0 to 1); ``head`` is its first 64 KiB.

        The default scores by extension only; override to sniff content.
        """
        return 0.5 if path.suffix.lower() in cls.extensions else 0.0

    @abstractmethod
    def collect(self) -> Iterator[Yield]:
        """Yield items, failures, deletions and checkpoints, streaming: never the whole input at once."""

    # helpers shared by connectors -------------------------------------------------------------
    def input_files(self, suffixes: tuple[str, ...] = ()) -> Iterator[Path]:
        """The file given, or the files below the folder given (with one of ``suffixes``)."""
        root = Path(self.spec.path)
        if not root.exists():
            raise ConnectorError("no such file or folder", root)
        yield from walk_files(root, suffixes if root.is_dir() else ())

    def per_file(self, read, suffixes: tuple[str, ...] = (), accept=None) -> Iterator[Yield]:
        """``read(path)`` on the file given, or on each file of the folder given (those ``accept``
        takes). In a folder a file that cannot be read is a Failure (its original kept) and the
        others are read; a single file's ConnectorError is the run's."""
        root = Path(self.spec.path)
        if root.is_file():
            yield from read(root)
            return
        for path in self.input_files(suffixes):
            if accept is not None and not accept(path):
                continue
            try:
                yield from read(path)
            except ConnectorError as e:
                yield Failure(str(path), e.reason, e.locator, e.sha256 or self.sink.keep(path, path.name))

    def item_id(self, *keys: object) -> str:
        """Stable id of an item of this source from its natural keys."""
        return stable_id(self.spec.name, self.spec.custodian, *keys)


def walk_files(root: Path, suffixes: tuple[str, ...] = ()) -> Iterator[Path]:
    """Files below ``root`` in a stable order (or ``root`` itself), skipping hidden ones and links."""
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith("."):
                continue
            p = Path(dirpath) / fn
            if p.is_symlink():
                continue
            if not suffixes or p.suffix.lower() in suffixes:
                yield p
