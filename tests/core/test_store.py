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
    ran the test process past 1,024 descriptors, where select() fails)."""
    store = EvidenceStore(tmp_path / "store")
    sizes = [10, 2 * 1024 * 1024]
    files = []
    for n in range(60):
        src = tmp_path / f"f{n}"
        src.write_bytes(os.urandom(sizes[n % 2] if n < 2 else 50) + bytes([n]))
        files.append(src)
    before = len(os.listdir("/proc/self/fd"))
    for src in files:
        store.put(src)
    assert len(os.listdir("/proc/self/fd")) == before
