"""The statistical NER layer: Frog (Radboud CLST, Debian ``frog frogdata uctodata``), run as a
separate process and never linked (Frog is GPL-3.0; we only talk to it over pipes).

How it runs: ``frog --skip=mpcla --threads=1`` in Frog's interactive mode (no ``-t``, no ``-S``;
morphology, parser, chunker, lemmatiser and multi-word units skipped: NER needs only the tokenizer
and the tagger), one process a worker, at most one per core, each reading text from its stdin and
writing its tab table to its stdout. Frog analyses a paragraph as soon as a blank line ends it; a
text is followed by a marker word as a paragraph of its own (``FrogProcess.end``), and Frog's answer
ends with the marker's row (one token a line: number, word, lemma, morphology, POS, confidence, NER
tag, ...; a blank line after each sentence). No socket: Frog's server mode (``-S PORT``) listens on
every address, and it is ~9x slower per token (it reads a request as one paragraph, so the
paragraphs of a batch became one huge sentence); ``bench/RESULTS.md`` has the measurements.

Texts are deduplicated by SHA-256 before they go to Frog, paragraph by paragraph (mail repeats
disclaimers, signatures and quoted messages), and sent in batches (one round trip per ~16,000
characters). A run (``redact.propose``) hands the layer every text it will analyse up front
(``Analyzer.prepare_layers``) and holds the process's Frog for its whole length
(``FrogLayer.run``, ``_Shared.hold``): Frog starts once a run, and goes when the run ends. A second
process starts only for a run with enough text to pay its start (``CHARS_PER_PROCESS``).

A one-word person is weighed once more (``FrogLayer.common_word``): Frog's POS tag in context, and
Frog's tags for the word on its own (one more round trip a run, for the words that need it), with
the words the run's texts write in lower case as common nouns; a common noun ("Windturbines" of a
subject) is no name, a surname that is also a word ("Bakker") stays one.

Frog's tokens are mapped back to character offsets in the original text (``align``): Frog composes
NFD accents (NFC) and drops soft hyphens, so tokens are matched against a normalised copy of the
text that remembers where each character came from.

Failures are loud: a Frog that does not start, dies or does not answer in time raises
``FrogError``; the caller (``FrogLayer.prepare``) records it, and the analysis goes on with the
rule layer alone and says so.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from woo_collector.children import die_with_parent

from .model import GROUND_PRIVACY, Finding

FROG = "frog"
SKIP = "mpcla"          # keep t (tokenizer) and n (NER); the POS tagger always runs
INSTALL_HINT = "apt-get install frog frogdata uctodata"
START_TIMEOUT = 120.0   # seconds; ~4 s on an idle machine, much more under load
TEXT_TIMEOUT = 60.0     # seconds per text, plus TEXT_CHARS_PER_S below
TEXT_CHARS_PER_S = 50.0   # generous: a timeout is for a Frog that hangs, not for a loaded machine
PER_SCORE = 0.9       # Frog's person precision on held-out news: 0.85
_LINE_EOT = re.compile(r"(?m)^[ \t]*EOT[ \t]*$")
_HYPHEN_EOL = re.compile(r"-[ \t]*\r?\n")
_SOFT_HYPHEN = "\u00ad"
_CONF = re.compile(r"[01]\.\d+")


class FrogError(RuntimeError):
    """Frog could not be started, died, or did not answer in time."""


def frog_path() -> str | None:
    """The ``frog`` executable, or None where Frog is not installed."""
    return shutil.which(FROG)


def frog_version() -> str | None:
    exe = frog_path()
    if not exe:
        return None
    try:
        import tempfile

        out = subprocess.run([exe, "-V"], capture_output=True, text=True, timeout=30, cwd=tempfile.gettempdir())
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"frog\s+(\d[\w.]*)", out.stdout + out.stderr)
    return m.group(1) if m else "unknown"


@dataclass(frozen=True)
class Entity:
    """One named entity in the original text: ``text[start:end]``, label PER, LOC, ORG, MISC, ...;
    ``tokens``: (start, end, POS tag) of each of Frog's tokens in it, where known."""

    start: int
    end: int
    label: str
    text: str
    tokens: tuple[tuple[int, int, str], ...] = ()

    def shifted(self, by: int) -> Entity:
        return Entity(self.start + by, self.end + by, self.label, self.text,
                      tuple((s + by, e + by, pos) for s, e, pos in self.tokens))


# --- the table and the offsets ---------------------------------------------------------------

def parse_table(table: str) -> list[tuple[str, str]]:
    """(word, NER tag) of every token of Frog's tab table, in order. The NER tag is the column
    after the tagger's confidence (where that lands depends on the modules that ran)."""
    return [(w, tag) for w, _pos, tag in parse_rows(table)]


def parse_rows(table: str) -> list[tuple[str, str, str]]:
    """(word, POS tag, NER tag) of every token of Frog's tab table, in order: the POS tag is the
    column before the tagger's confidence ("N(soort,mv,basis)", "SPEC(deeleigen)"), the NER tag the
    one after it."""
    out = []
    for line in table.split("\n"):
        cols = line.rstrip("\r").split("\t")
        if len(cols) < 4 or not cols[0].isdigit():
            continue
        conf = next((i for i in range(2, len(cols) - 1) if _CONF.fullmatch(cols[i])), None)
        pos = cols[conf - 1].strip() if conf is not None else ""
        out.append((cols[1], pos, (cols[conf + 1].strip() if conf is not None else "") or "O"))
    return out


def common_noun(pos: str) -> bool:
    """Frog's tagger calls the token a common noun (``N(soort,...)``), not a name
    (``SPEC(deeleigen)``, ``N(eigen,...)``)."""
    return pos.startswith("N(soort")


def _normalised(text: str) -> tuple[str, list[int], list[int]]:
    """NFC copy of ``text`` without soft hyphens, and for each of its characters the start and end
    offset in ``text`` of the characters it came from (a base letter with its combining accents)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == _SOFT_HYPHEN:
            i += 1
            continue
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        for c in unicodedata.normalize("NFC", text[i:j]):
            chars.append(c)
            starts.append(i)
            ends.append(j)
        i = j
    return "".join(chars), starts, ends


def align(text: str, words: Sequence[str]) -> list[tuple[int, int] | None]:
    """The (start, end) in ``text`` of each of Frog's ``words``, in order; None for a word that
    cannot be found (it is then left out, never guessed)."""
    norm, starts, ends = _normalised(text)
    out: list[tuple[int, int] | None] = []
    pos = 0
    for w in words:
        w = unicodedata.normalize("NFC", w.replace(_SOFT_HYPHEN, ""))
        if not w:
            out.append(None)
            continue
        while pos < len(norm) and norm[pos].isspace():
            pos += 1
        if norm.startswith(w, pos):
            at = pos
        else:
            at = norm.find(w, pos, pos + len(w) + 200)
            if at < 0:
                out.append(None)
                continue
        out.append((starts[at], ends[at + len(w) - 1]))
        pos = at + len(w)
    return out


def entities(text: str, table: str) -> list[Entity]:
    """The entities of Frog's table for ``text``, as spans of ``text`` (BIO tags decoded;
    punctuation at either end of a span, such as the stop Frog keeps on "Jan.", left out)."""
    toks = parse_rows(table)
    spans = align(text, [w for w, _, _ in toks])
    out: list[Entity] = []
    cur: list | None = None
    for (_w, pos, tag), span in zip(toks, spans):
        kind, _, label = tag.partition("-")
        if span is None or kind not in ("B", "I") or not label:
            if cur:
                out.append(cur)
            cur = None
            continue
        if kind == "I" and cur and cur[2] == label:
            cur[1] = span[1]
            cur[3].append((*span, pos))
        else:
            if cur:
                out.append(cur)
            cur = [span[0], span[1], label, [(*span, pos)]]
    if cur:
        out.append(cur)
    result = []
    for s, e, label, tokens in out:
        while s < e and not text[s].isalnum():
            s += 1
        while e > s and not text[e - 1].isalnum():
            e -= 1
        if s < e:
            result.append(Entity(s, e, label, text[s:e], tuple(t for t in tokens if t[0] < e and s < t[1])))
    return result


def lower_case_nouns(table: str) -> set[str]:
    """The words of Frog's table written in lower case that its tagger calls common nouns: what the
    texts use as an ordinary word ("windturbines" in "Bezwaar tegen windturbines")."""
    return {w for w, pos, _ in parse_rows(table) if common_noun(pos) and w.isalpha() and w.islower()}


def frog_input(text: str) -> str:
    """The text as sent to Frog, one character for one where it can: a line holding only ``EOT``
    would end the request early, so it is blanked; a hyphen at a line end gets a space before the
    line break (Frog 0.20 hangs on ``Korte-\\nkaas`` at the end of a text)."""
    text = _LINE_EOT.sub(lambda m: " " * len(m.group(0)), text)
    return _HYPHEN_EOL.sub(lambda m: "- \n", text)


# --- the processes ------------------------------------------------------------------------

def _die_with_parent() -> None:
    """In the Frog child before exec: Frog gets SIGKILL when our process dies, so a killed collect
    leaves no 840 MB Frog behind."""
    die_with_parent()


def _sentinel() -> str:
    """A word no text holds (letters only, so Frog keeps it one token): sent as a paragraph of its
    own after each text, it marks the end of Frog's answer."""
    import secrets

    return "Woofrogeinde" + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(12))


class FrogProcess:
    """One ``frog --skip=mpcla`` reading text from a pipe (no ``-t``, no ``-S``: Frog's interactive
    mode, which analyses a paragraph as soon as a blank line ends it and writes its table to the
    other pipe). No socket: nothing outside our process can talk to it. In its own process group,
    killed with the group."""

    def __init__(self, exe: str, skip: str = SKIP, start_timeout: float = START_TIMEOUT,
                 text_timeout: float = TEXT_TIMEOUT) -> None:
        self.exe, self.skip = exe, skip
        self.start_timeout, self.text_timeout = start_timeout, text_timeout
        self.proc: subprocess.Popen | None = None
        self.log = Path(os.devnull)
        self.end = _sentinel()

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the process, in the calling thread: the kernel kills Frog when the thread that
        started it ends (``die_with_parent``), so never from a pool's worker thread."""
        import tempfile

        fd, log = tempfile.mkstemp(prefix="woo-frog-", suffix=".log")
        self.log = Path(log)
        try:
            self.proc = subprocess.Popen([self.exe, f"--skip={self.skip}", "--threads=1"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=fd,
                                         cwd=tempfile.gettempdir(), start_new_session=True,
                                         preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        except OSError as e:
            os.close(fd)
            raise FrogError(f"could not start Frog ({self.exe}): {e}") from None
        os.close(fd)
        os.set_blocking(self.proc.stdin.fileno(), False)

    def wait_ready(self) -> None:
        """Frog loads its models (~3 s of CPU) before it reads: its first answer says it is up."""
        try:
            self._exchange(b"", self.start_timeout, starting=True)
        except BaseException:
            self.close()
            raise

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _log_tail(self) -> str:
        try:
            lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return "(no log)"
        return " | ".join(lines[-3:]) or "(no output)"

    def _exchange(self, data: bytes, timeout: float, starting: bool = False) -> bytes:
        """Write ``data`` and the end marker, read Frog's output up to the marker's table line.
        Writing and reading interleave (select), so neither pipe's buffer can block Frog."""
        import select

        proc = self.proc
        end = self.end.encode()
        todo = memoryview(data + b"\n\n" + end + b"\n\n")
        out = bytearray()
        line = b"\t" + end + b"\t"     # the marker's row in Frog's table: "1<TAB>marker<TAB>..."
        seen = -1
        deadline = time.monotonic() + timeout
        rfd, wfd = proc.stdout.fileno(), proc.stdin.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if starting:
                    raise FrogError(f"Frog did not start within {self.start_timeout:.0f} s: {self._log_tail()}")
                raise FrogError(f"Frog did not answer within {timeout:.0f} s on a text of {len(data):,} bytes")
            r, w, _ = select.select([rfd], [wfd] if todo else [], [], min(left, 1.0))
            if w:
                try:
                    n = os.write(wfd, todo[:1 << 16])
                except BlockingIOError:
                    n = 0
                except OSError:   # a broken pipe: Frog is gone, which the read below reports
                    n = len(todo)
                todo = todo[n:]
            if r:
                part = os.read(rfd, 1 << 16)
                if not part:
                    code = proc.wait()
                    if starting:
                        raise FrogError(f"Frog exited with code {code} while starting: {self._log_tail()}")
                    raise FrogError(f"Frog exited with code {code} while analysing (it may have crashed): {self._log_tail()}")
                before = len(out)
                out += part
                if seen < 0:
                    seen = out.find(line, max(0, before - len(line)))
                if seen >= 0 and out.endswith(b"\n\n"):
                    return bytes(out[:out.rfind(b"\n", 0, seen) + 1])

    def ask(self, text: str) -> str:
        """Frog's table for one text."""
        if not self.alive():   # it died since its last answer
            code = self.proc.poll() if self.proc is not None else None
            raise FrogError(f"Frog exited with code {code} while analysing (it may have crashed): {self._log_tail()}")
        data = frog_input(text).replace(self.end, " " * len(self.end)).encode("utf-8", "replace")
        timeout = self.text_timeout + len(text) / TEXT_CHARS_PER_S
        return self._exchange(data, timeout).decode("utf-8", "replace")

    def close(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
            self.proc = None
        if self.log != Path(os.devnull):
            self.log.unlink(missing_ok=True)
            self.log = Path(os.devnull)


class FrogPool:
    """``connections`` Frog processes (``FrogProcess``), one a worker; ``ask(text, conn)`` asks the
    ``conn``-th. Started together (each loads its own models: ~840 MB and ~3 s of CPU each), grown
    with ``grow`` when a run wants more, closed together."""

    def __init__(self, connections: int = 1, exe: str | None = None, skip: str = SKIP,
                 start_timeout: float = START_TIMEOUT, text_timeout: float = TEXT_TIMEOUT) -> None:
        self.exe = exe or frog_path()
        if not self.exe:
            raise FrogError(f"Frog is not installed (no 'frog' on PATH); install it with: {INSTALL_HINT}")
        self.skip = skip
        self.start_timeout = start_timeout
        self.text_timeout = text_timeout
        self.n = max(1, connections)
        self.procs: list[FrogProcess] = []

    def __enter__(self) -> FrogPool:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def pids(self) -> list[int]:
        return [p.proc.pid for p in self.procs if p.proc is not None]

    def start(self) -> None:
        self.grow(self.n)

    def grow(self, n: int) -> None:
        """Have at least ``n`` processes (the new ones start in parallel)."""
        new = [FrogProcess(self.exe, self.skip, self.start_timeout, self.text_timeout)
               for _ in range(n - len(self.procs))]
        if not new:
            return
        self.procs += new
        try:
            for p in new:
                p.spawn()
            with ThreadPoolExecutor(len(new)) as pool:     # the models load in parallel
                for f in [pool.submit(p.wait_ready) for p in new]:
                    f.result()
        except BaseException:
            self.close()
            raise
        self.n = max(self.n, n)

    def alive(self) -> bool:
        return bool(self.procs) and all(p.alive() for p in self.procs)

    def ask(self, text: str, conn: int = 0) -> str:
        """Frog's table for one text, from process ``conn``."""
        return self.procs[conn].ask(text)

    def close(self) -> None:
        for p in self.procs:
            p.close()
        self.procs = []


class _Shared:
    """The process's Frog server, started on first use and closed when the run is done (its 840 MB
    are not kept through an export), after a failure, or at exit.

    A run (``redact.propose``) holds it with ``hold()``: leases in between find the server running
    and leave it so, and the last holder's exit closes it, so a run pays Frog's start once however
    many times its layers ask. ``hold`` is a count, not a lock (holders nest, several layers or
    analyzers may hold it at once); the lock is taken only while a lease talks to the server.
    ``pinned`` keeps it between runs, so a test session or a benchmark pays Frog's start once."""

    def __init__(self) -> None:
        self.server: FrogPool | None = None
        self.lock = threading.Lock()
        self.pinned = False
        self.holders = 0
        self.starts = 0          # how many servers this process started (the benchmark reports it)

    def __call__(self, connections: int = 1) -> "_Lease":
        return _Lease(self, connections)

    @contextmanager
    def hold(self):
        """Keep the server (once started) until the outermost ``hold`` ends."""
        with self.lock:
            self.holders += 1
        try:
            yield self
        finally:
            with self.lock:
                self.holders -= 1
                if self.holders == 0 and not self.pinned:
                    self.close()

    def get(self, connections: int) -> FrogPool:
        if self.server is not None and not self.server.alive():
            self.close()
        if self.server is None:
            server = FrogPool(connections=connections)
            server.start()
            self.starts += 1
            self.server = server
        elif len(self.server.procs) < connections:
            self.server.grow(connections)
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


class _Lease:
    def __init__(self, shared: _Shared, connections: int) -> None:
        self.shared, self.connections = shared, connections

    def __enter__(self) -> FrogPool:
        self.shared.lock.acquire()
        try:
            return self.shared.get(self.connections)
        except BaseException:
            self.shared.lock.release()
            raise

    def __exit__(self, exc_type, *_exc) -> None:
        try:   # a server that failed is not trusted again; one nobody holds or pinned goes
            if exc_type is not None or not (self.shared.pinned or self.shared.holders):
                self.shared.close()
        finally:
            self.shared.lock.release()


shared_server = _Shared()
atexit.register(shared_server.close)


# --- the layer the analyzer calls -------------------------------------------------------------

SEPARATOR = "\n\n"       # a paragraph break: Frog never joins tokens or sentences across it
BATCH_CHARS = 16_000     # texts go to Frog in batches of about this size (one round trip each)
BATCH_TEXTS = 1_000
CHARS_PER_PROCESS = 60_000   # ~3 s of Frog: a second process (~3 s of CPU to start) only above this


def batches(items: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """(key, text) pairs in batches of at most ``BATCH_TEXTS`` texts and about ``BATCH_CHARS``."""
    out: list[list[tuple[str, str]]] = []
    size = 0
    for kv in items:
        if not out or len(out[-1]) >= BATCH_TEXTS or size + len(kv[1]) > BATCH_CHARS:
            out.append([])
            size = 0
        out[-1].append(kv)
        size += len(kv[1]) + len(SEPARATOR)
    return out


def split_entities(found: list[Entity], lengths: list[int]) -> list[list[Entity]]:
    """The entities of texts joined with ``SEPARATOR``, per text, with offsets in that text."""
    out: list[list[Entity]] = [[] for _ in lengths]
    bounds, at = [], 0
    for n in lengths:
        bounds.append((at, at + n))
        at += n + len(SEPARATOR)
    i = 0
    for e in found:
        while i < len(bounds) and e.start >= bounds[i][1]:
            i += 1
        if i == len(bounds):
            break
        lo, hi = bounds[i]
        if e.start >= lo and e.end <= hi:
            out[i].append(e.shifted(-lo))
    return out


_PARAGRAPH_BREAK = re.compile(r"\n(?:[ \t\r]*\n)+")


def paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, paragraph) of each non-blank paragraph of ``text`` (split at blank lines, where
    Frog starts a new paragraph anyway, so deduplicating them changes nothing Frog finds)."""
    out, at = [], 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        if text[at:m.start()].strip():
            out.append((at, text[at:m.start()]))
        at = m.end()
    if text[at:].strip():
        out.append((at, text[at:]))
    return out


_ADDRESS = r"(?:(?:\"[^\"]*\"|[^<>,\"]*)\s*<[^<>@\s]+@[^<>\s]+>|[^\s,<>@]+@[^\s,<>]+)"
_ADDRESS_LIST = re.compile(rf"\s*{_ADDRESS}(?:\s*[,;]\s*{_ADDRESS})*\s*")


def needs_ner(text: str) -> bool:
    """False for a list of mail addresses (a From, To or Cc field): the rule layer boxes the people
    in it as known people, and Frog's time goes to prose."""
    return bool(text.strip()) and not _ADDRESS_LIST.fullmatch(text)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class FrogLayer:
    """The Frog layer of the analyzer: ``prepare(texts)`` runs Frog once over every distinct
    paragraph (deduplicated by hash, in batches, spread over ``workers`` connections); ``analyze(text)`` then returns
    its person findings and the LOC/ORG spans that veto weaker rule candidates.

    On failure ``prepare`` does not raise: ``error`` says what went wrong, ``ran`` is False, and
    ``analyze`` returns nothing, so the rule layer carries on alone (the caller reports it).
    """

    name = "frog"

    def __init__(self, workers: int | None = None, server_factory=None) -> None:
        self.workers = workers or max(1, min(2, os.cpu_count() or 1))
        self._factory = server_factory     # None: the process's shared server (looked up when used)
        self.cache: dict[str, list[Entity]] = {}
        self.nouns: set[str] = set()      # words the texts write in lower case as common nouns
        self.alone: dict[str, tuple[str, str]] = {}   # a one-word person: (POS, NER tag) Frog gives it on its own
        self.error: str | None = None
        self.paragraphs_sent = 0
        self.tokens = 0
        self.prepared = False

    @property
    def server_factory(self):
        return self._factory if self._factory is not None else shared_server

    def run(self):
        """The scope of one analysis run: Frog, once started, stays up until it ends (``_Shared.hold``),
        so a text analysed after the up-front ``prepare`` costs a round trip, not a Frog start."""
        hold = getattr(self.server_factory, "hold", None)
        return hold() if hold is not None else nullcontext()

    @property
    def ran(self) -> bool:
        """Frog analysed every text it was given (and nothing failed)."""
        return self.prepared and self.error is None

    def prepare(self, texts: Sequence[str]) -> None:
        """Run Frog over every paragraph of ``texts`` it has not seen (paragraphs are deduplicated
        by hash: a disclaimer, a signature or a quoted mail goes to Frog once per run)."""
        if self.error is not None:
            return
        self.prepared = True
        todo: dict[str, str] = {}
        for t in texts:
            if not needs_ner(t):
                continue
            for _, p in paragraphs(t):
                k = text_key(p)
                if k not in self.cache:
                    todo.setdefault(k, p)
        if not todo:
            return
        items = sorted(todo.items(), key=lambda kv: -len(kv[1]))   # long ones first: the lanes finish together
        size = sum(len(t) for t in todo.values())
        n = max(1, min(self.workers, -(-size // CHARS_PER_PROCESS)))   # a second Frog only where it pays its start
        lanes = [batches(items[i::n]) for i in range(n)]
        lanes = [lane for lane in lanes if lane]
        results: dict[str, list[Entity]] = {}
        nouns: set[str] = set()
        lock = threading.Lock()
        try:
            with self.server_factory(connections=len(lanes)) as server:
                def run(conn: int) -> None:
                    for batch in lanes[conn]:
                        joined = SEPARATOR.join(t for _, t in batch)
                        table = server.ask(joined, conn)
                        found = split_entities(entities(joined, table), [len(t) for _, t in batch])
                        with lock:
                            results.update((k, ents) for (k, _), ents in zip(batch, found))
                            nouns.update(lower_case_nouns(table))
                            self.tokens += sum(1 for ln in table.split("\n") if ln[:1].isdigit())
                with ThreadPoolExecutor(len(lanes)) as pool:
                    for f in [pool.submit(run, i) for i in range(len(lanes))]:
                        f.result()
                self.nouns |= nouns
                self._ask_alone(server, [w for k, ents in results.items() for w in self._one_word_persons(todo[k], ents)])
        except FrogError as e:
            self.error = str(e)
            self.cache.clear()
            return
        self.cache.update(results)
        self.paragraphs_sent += len(results)

    def _one_word_persons(self, text: str, ents: list[Entity]) -> list[str]:
        """The one-word person pieces of ``ents`` that Frog's view of the word alone settles:
        plausible, and a name to the tagger in context."""
        out = []
        for e in ents:
            if e.label != "PER":
                continue
            for s, t in _pieces(text, e.start, e.end):
                if (" " not in t and t.isalpha() and t not in self.alone
                        and not common_noun(_pos_of(e, s, s + len(t)))
                        and _plausible_person(t, text[s + len(t):s + len(t) + 1])):
                    out.append(t)
        return out

    def _ask_alone(self, server, words: list[str]) -> None:
        """Frog's POS and NER tag for each word on its own (a paragraph of one word each, one round
        trip): at a sentence start or in a subject's title case the capital says nothing, and a word
        Frog calls a person only in context ("Windturbines Kraaiennest: planning") but a common noun
        and no entity on its own ("Windturbines") is a word, where a surname stays a person
        ("Bakker": a common noun too, but PER)."""
        words = list(dict.fromkeys(w for w in words if w not in self.alone))
        if not words:
            return
        rows = parse_rows(server.ask(SEPARATOR.join(words), 0))
        if [w for w, _, _ in rows] != words:   # Frog split or changed a word: no verdicts (the names stay)
            return
        self.alone.update((w, (pos, tag)) for w, pos, tag in rows)

    def common_word(self, word: str, pos: str = "") -> bool:
        """Whether a one-word person of Frog's is a common noun: its tag in context (``pos``) says
        so; or Frog on the word alone calls it no person, and a common noun or a word the texts
        write in lower case as a noun ("Windturbines" of a subject, "windturbines" in the body). A
        surname that is also a word stays: Frog calls "Bakker" alone a person, whatever "de bakker"
        elsewhere says."""
        if common_noun(pos):
            return True
        alone_pos, alone_tag = self.alone.get(word, ("", ""))
        return not alone_tag.endswith("PER") and (common_noun(alone_pos) or word.lower() in self.nouns)

    def entities(self, text: str) -> list[Entity]:
        """Frog's entities in ``text`` (running Frog on what ``prepare`` has not seen)."""
        if self.error is not None or not needs_ner(text):
            return []
        paras = paragraphs(text)
        if any(text_key(p) not in self.cache for _, p in paras):
            self.prepare([text])
            if self.error is not None:
                return []
        return [e.shifted(at) for at, p in paras for e in self.cache[text_key(p)]]

    def analyze(self, text: str) -> tuple[list[Finding], list[Entity]]:
        """(person findings, LOC/ORG entities that veto weaker rule name candidates). A person span
        is cut at line ends and tabs, and a piece that is one ordinary word, a title or an abbreviation
        (Frog's "Rekeningnummer", "De", "KW", "Griffier" on a signature's next line) is left out,
        as is one word that is a common noun (``common_word``: "Windturbines" of a subject)."""
        found, vetoes = [], []
        for e in self.entities(text):
            if e.label == "PER":
                for s, t in _pieces(text, e.start, e.end):
                    if " " not in t and self.common_word(t, _pos_of(e, s, s + len(t))):
                        continue
                    if _plausible_person(t, text[s + len(t):s + len(t) + 1]):
                        found.append(Finding(s, s + len(t), t, "name", GROUND_PRIVACY, PER_SCORE, "frog", "PER",
                                             f"frog NER: person (PER) -> {PER_SCORE:.2f}"))
            elif e.label in ("LOC", "ORG"):
                vetoes.append(e)
        return found, vetoes


def _pos_of(e: Entity, start: int, end: int) -> str:
    """The POS tag of the one token of ``e`` in [start, end), or "" (none, or several)."""
    tags = [pos for s, t, pos in e.tokens if s < end and start < t]
    return tags[0] if len(tags) == 1 else ""


def _pieces(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """A person span cut at line ends and tabs (a table's cells: Frog reads a spreadsheet's row
    "Informatieavond<TAB>2025-04-15<TAB>Fatima El Amrani" as one person), each piece trimmed."""
    out = []
    for m in re.finditer(r"[^\n\t]+", text[start:end]):
        s, e = start + m.start(), start + m.end()
        while s < e and not text[s].isalnum():
            s += 1
        while e > s and not text[e - 1].isalnum():
            e -= 1
        if s < e:
            out.append((s, text[s:e]))
    return out


def _plausible_person(span: str, after: str = "") -> bool:
    """Whether one of Frog's person spans can be a name: several words, or one capitalised word that
    is no ordinary word, title, abbreviation or label (``after`` is the character after it)."""
    from .lexicon import words

    tokens = span.split()
    if len(tokens) > 1:
        return True
    if after == ":":
        return False
    word = tokens[0]
    low = word.lower()
    if len(word) <= 2 or (word.isupper() and len(word) <= 5) or not word[:1].isupper():
        return False
    return low not in words("not_names") and low not in words("titles") and low.rstrip(".") not in words("titles")
