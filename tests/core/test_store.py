import gc
import hashlib
import io
import os
import stat

from woo_collector.store import EvidenceStore


def test_bytes_are_stored_once_bit_for_bit(tmp_path):
    store = EvidenceStore(tmp_path / "store")
    data = b"From: a@b\r\n\r\n\x00\xff bytes as they came"
    sha, size = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest() and size == len(data)
    assert store.read(sha) == data
    assert store.put(data) == (sha, size)
    assert list(store) == [sha]
    assert stat.S_IMODE(store.path(sha).stat().st_mode) == 0o400


def test_streams_and_files_hash_like_bytes(tmp_path):
    store = EvidenceStore(tmp_path / "store")
    data = os.urandom(3 * 1024 * 1024 + 17)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    sha_file, _ = store.put(src)
    sha_stream, _ = store.put(io.BytesIO(data))
    assert sha_file == sha_stream == hashlib.sha256(data).hexdigest()
    assert store.verify(sha_file)
    assert not list((tmp_path / "store" / "tmp").iterdir())


def test_verify_detects_a_changed_original(tmp_path):
    store = EvidenceStore(tmp_path / "store")
    sha, _ = store.put(b"original")
    p = store.path(sha)
    os.chmod(p, 0o600)
    p.write_bytes(b"tampered")
    assert not store.verify(sha)
    assert not store.verify("0" * 64)


def test_stale_temp_files_of_a_crash_are_removed(tmp_path):
    EvidenceStore(tmp_path / "store")
    stale = tmp_path / "store" / "tmp" / "in-crashed"
    stale.write_bytes(b"half")
    os.utime(stale, (0, 0))
    EvidenceStore(tmp_path / "store")
    assert not stale.exists()


def test_files_small_and_at_the_edge_are_kept_bit_for_bit_and_read_only(tmp_path):
    from woo_collector.store import CHUNK

    store = EvidenceStore(tmp_path / "store")
    for n, size in enumerate((0, 1, 1300, CHUNK - 1, CHUNK, CHUNK + 1)):
        data = os.urandom(size)
        src = tmp_path / f"f{n}"
        src.write_bytes(data)
        sha, got = store.put(src)
        assert (sha, got) == (hashlib.sha256(data).hexdigest(), size) and store.read(sha) == data, size
        assert stat.S_IMODE(store.path(sha).stat().st_mode) == 0o400
        assert store.put(src) == (sha, size)
    assert not list((tmp_path / "store" / "tmp").iterdir())


def test_a_temp_name_a_dead_process_left_is_passed_over(tmp_path):
    """Temp files are named by process number and a counter: one left by a dead process of the same
    number is neither overwritten nor in the way."""
    store = EvidenceStore(tmp_path / "store")
    stale = tmp_path / "store" / "tmp" / f"in-{os.getpid()}-1"
    stale.write_bytes(b"half of another run's original")
    sha, _ = store.put(b"new original")
    assert store.read(sha) == b"new original" and stale.read_bytes() == b"half of another run's original"


def test_keeping_files_leaves_no_file_open(tmp_path):
    """A long import keeps hundreds of thousands of files: each one it opens is closed again (a leak
    ran the test process past 1,024 descriptors, where select() fails); the store keeps open only
    its pack and its index."""
    store = EvidenceStore(tmp_path / "store")
    sizes = [10, 2 * 1024 * 1024]
    files = []
    for n in range(60):
        src = tmp_path / f"f{n}"
        src.write_bytes(os.urandom(sizes[n % 2] if n < 2 else 50) + bytes([n]))
        files.append(src)
    store.put(b"first")  # the store's own: its pack, open for appending, and the pack index
    gc.collect()  # stores of earlier tests, closed
    before = len(os.listdir("/proc/self/fd"))
    for src in files:
        store.put(src)
    assert len(os.listdir("/proc/self/fd")) == before


def test_small_originals_are_packed_and_found_by_another_process_after_sync(tmp_path):
    writer = EvidenceStore(tmp_path / "store")
    originals = {hashlib.sha256(d).hexdigest(): d for d in (b"mail %d\r\n" % n * (n + 1) for n in range(300))}
    for data in originals.values():
        writer.put(data)
    assert not list(writer.blobs.glob("*/*")) and len(list(writer.packs.iterdir())) == 1  # one file, not 300
    indexed = EvidenceStore(tmp_path / "store")._index().execute("SELECT count(*) FROM packed").fetchone()[0]
    assert indexed == 0  # not yet durable: not in the index
    writer.sync()  # durable, then indexed
    other = EvidenceStore(tmp_path / "store")  # another process
    for sha, data in originals.items():
        assert other.has(sha) and other.read(sha) == data and other.open(sha).read() == data and other.verify(sha)
    assert sorted(other) == sorted(originals)
    size = sum(p.stat().st_size for p in writer.packs.iterdir())
    assert other.put(next(iter(originals.values())))[0] in originals
    assert sum(p.stat().st_size for p in writer.packs.iterdir()) == size  # stored once
    sha = next(iter(originals))
    p = other.path(sha)  # a file for what wants one: copied out once, read-only
    assert p.read_bytes() == originals[sha] and stat.S_IMODE(p.stat().st_mode) == 0o400


def test_what_a_killed_writer_left_half_written_is_never_indexed(tmp_path):
    store = EvidenceStore(tmp_path / "store")
    whole = [store.put(b"whole original %d" % n)[0] for n in range(3)]
    pack = next(store.packs.iterdir())
    os.chmod(pack, 0o600)
    with open(pack, "ab") as f:  # a record cut off in the middle of its bytes
        f.write(b"WOO1" + hashlib.sha256(b"x" * 100).digest() + (100).to_bytes(8, "big") + b"x" * 40)
    later = EvidenceStore(tmp_path / "store")
    assert later.catch_up() == 3 and all(later.read(sha) == b"whole original %d" % n for n, sha in enumerate(whole))
    assert not later.has(hashlib.sha256(b"x" * 100).hexdigest())
    assert later.put(b"x" * 100)[0] == hashlib.sha256(b"x" * 100).hexdigest()  # kept again, in a pack of its own
    later.written_elsewhere()
    later.sync()
    assert EvidenceStore(tmp_path / "store").read(hashlib.sha256(b"x" * 100).hexdigest()) == b"x" * 100


def test_a_changed_byte_in_a_pack_fails_verify_and_is_not_indexed(tmp_path):
    store = EvidenceStore(tmp_path / "store")
    sha, _ = store.put(b"the original as it came")
    pack = next(store.packs.iterdir())
    os.chmod(pack, 0o600)
    data = bytearray(pack.read_bytes())
    data[-1] ^= 1
    pack.write_bytes(bytes(data))
    assert not store.verify(sha)  # read back from the pack and hashed
    assert EvidenceStore(tmp_path / "store").catch_up() == 0


def test_processes_pack_side_by_side(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    with ctx.Pool(4) as pool:  # four processes open the new pack index at once (CI once saw 'database is locked')
        shas = pool.starmap(_put_many, [(str(tmp_path / "store"), w) for w in range(4)])
    store = EvidenceStore(tmp_path / "store")
    store.written_elsewhere()
    store.sync()
    assert len(list(store.packs.iterdir())) == 4 and sorted(store) == sorted(s for part in shas for s in part)


def _put_many(root: str, worker: int) -> list[str]:
    from pathlib import Path

    store = EvidenceStore(Path(root))
    return [store.put(b"worker %d original %d" % (worker, n))[0] for n in range(200)]


def test_what_a_run_packed_but_never_indexed_is_found(tmp_path):
    # a run killed before its batch's sync: its originals are in its pack, not in the index
    EvidenceStore(tmp_path / "store").put(b"kept by a run that was killed")
    sha = hashlib.sha256(b"kept by a run that was killed").hexdigest()
    later = EvidenceStore(tmp_path / "store")
    assert later.has(sha) and later.verify(sha) and later.read(sha) == b"kept by a run that was killed"
