"""A throwaway Dovecot IMAP server on loopback, for tests and benchmarks.

``DovecotServer()`` writes its own configuration in a fresh directory under /tmp (nothing of ``/etc/dovecot``
is read): IMAP on 127.0.0.1 on a free port, IMAPS on another with a self-signed certificate made
with ``openssl`` (for 127.0.0.1), plaintext authentication allowed, a passwd-file user database
whose users all map to one uid, and Maildir mail under ``<dir>/mail/<user>``; ``stop()`` ends
the server and removes the directory. Run as root (as the CI does), the login processes run as
``dovenull`` and internal ones as ``dovecot`` (the users the Debian package creates; ``nobody``
where they are missing) and the mail belongs to ``nobody``; run as another user, Dovecot runs
rootless as that user.

    server = DovecotServer().start()
    user, password = server.new_user()      # one of a pool of users made at start
    server.append(user, password, "INBOX", [raw_bytes])
    ...
    server.stop()

``dovecot`` is a session-scoped pytest fixture (``from servers.dovecot import dovecot`` in a test
module); it skips with the reason when ``/usr/sbin/dovecot`` is not installed. ``CuttingProxy`` is a loopback TCP
proxy that closes the connection after a number of bytes from the server, to test a connection
dropped mid-fetch.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
UTF8_USERS = {"bart": "wachtwoord-é€"}  # a user whose password IMAP LOGIN cannot carry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user(*names: str) -> pwd.struct_passwd:
    for name in names:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"none of the users {names} exists on this machine")


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


class DovecotServer:
    host = "127.0.0.1"

    def __init__(self, pool_size: int = 32) -> None:
        self.pool_size = pool_size
        self._next_user = 0
        # a short path in /tmp (unix socket names are limited to 108 bytes), readable by the
        # unprivileged Dovecot processes (pytest's own tmp directories are private to root)
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.root.chmod(0o755)
        self.base = self.root
        self.port = free_port()
        self.tls_port = free_port()
        self.proc: subprocess.Popen | None = None
        if os.geteuid() == 0:  # as the CI runs: unprivileged users for Dovecot's processes and the mail
            self.internal, self.login = _user("dovecot", "nobody"), _user("dovenull", "nobody")
            self.mail_owner = _user("nobody")
        else:  # a rootless Dovecot: everything runs as the current user
            self.internal = self.login = self.mail_owner = pwd.getpwuid(os.geteuid())

    @property
    def cert(self) -> Path:
        return self.root / "cert.pem"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout: float = 15.0) -> "DovecotServer":
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "mail").mkdir(exist_ok=True)
        os.chown(self.root / "mail", self.mail_owner.pw_uid, self.mail_owner.pw_gid)
        self._write_users()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(self.root / "key.pem"), "-out", str(self.cert)],
            check=True, capture_output=True, timeout=60,
        )
        conf = self.root / "dovecot.conf"
        conf.write_text(CONFIG.format(
            root=self.root, base=self.base, port=self.port, tls_port=self.tls_port,
            internal=self.internal.pw_name, login=self.login.pw_name, group=grp.getgrgid(self.internal.pw_gid).gr_name,
        ))
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
                raise RuntimeError(f"dovecot exited at start: {out}\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port} within {timeout} s\n{self.log()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)

    # users and mail ---------------------------------------------------------------------------
    def _write_users(self) -> None:
        """A pool of users made before start (Dovecot notices a changed passwd-file only seconds later)."""
        uid, gid = self.mail_owner.pw_uid, self.mail_owner.pw_gid
        lines = []
        for n in range(1, self.pool_size + 1):
            user = f"user{n:02d}"
            lines.append(f"{user}:{{PLAIN}}pw-{user}:{uid}:{gid}::{self.root / 'mail' / user}::\n")
        for user, password in UTF8_USERS.items():
            lines.append(f"{user}:{{PLAIN}}{password}:{uid}:{gid}::{self.root / 'mail' / user}::\n")
        (self.root / "users").write_text("".join(lines), encoding="utf-8")

    def new_user(self) -> tuple[str, str]:
        """An unused mailbox of the pool: (user, password)."""
        self._next_user += 1
        if self._next_user > self.pool_size:
            raise RuntimeError(f"all {self.pool_size} test users are taken; raise pool_size")
        user = f"user{self._next_user:02d}"
        return user, f"pw-{user}"

    def client(self, user: str, password: str) -> imaplib.IMAP4:
        c = imaplib.IMAP4(self.host, self.port, timeout=10)
        c.login(user, password)
        return c

    def append(self, user: str, password: str, folder: str, messages: list[bytes]) -> None:
        """Deliver messages with IMAP APPEND, creating the folder when needed."""
        c = self.client(user, password)
        try:
            c.create(_quote(folder))
            for raw in messages:
                typ, data = c.append(_quote(folder), None, None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND to {folder} failed: {data}")
        finally:
            c.logout()

    def recreate_folder(self, user: str, password: str, folder: str, messages: list[bytes]) -> None:
        """Delete a folder and create it again with ``messages``: the server gives it a new UIDVALIDITY."""
        c = self.client(user, password)
        try:
            typ, data = c.delete(_quote(folder))
            if typ != "OK":
                raise RuntimeError(f"DELETE {folder} failed: {data}")
        finally:
            c.logout()
        self.append(user, password, folder, messages)

    def write_maildir(self, user: str, folder: str, messages: list[bytes]) -> None:
        """Write messages straight into the user's Maildir (fast, for large loads)."""
        home = self.root / "mail" / user
        box = home if folder == "INBOX" else home / f".{folder}"
        uid, gid = self.mail_owner.pw_uid, self.mail_owner.pw_gid
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        stamp = int(time.time())
        for n, raw in enumerate(messages):
            p = box / "cur" / f"{stamp}.M{n}P{os.getpid()}.woo-bench,S={len(raw)}:2,"
            p.write_bytes(raw)
        for dirpath, dirnames, filenames in os.walk(home):
            os.chown(dirpath, uid, gid)
            for fn in filenames:
                os.chown(os.path.join(dirpath, fn), uid, gid)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class CuttingProxy:
    """A loopback TCP proxy to ``target`` that closes each connection after ``cut_after`` bytes
    came from the server (counting from the connection's start); ``cut_after=None`` passes all."""

    def __init__(self, target: tuple[str, int], cut_after: int | None):
        self.target = target
        self.cut_after = cut_after
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.cuts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        server = socket.create_connection(self.target, timeout=10)
        budget = [self.cut_after]

        def upstream() -> None:
            try:
                while data := client.recv(65536):
                    server.sendall(data)
            except OSError:
                pass

        threading.Thread(target=upstream, daemon=True).start()
        try:
            while data := server.recv(65536):
                if budget[0] is not None:
                    if len(data) >= budget[0]:
                        client.sendall(data[: budget[0]])
                        self.cuts += 1
                        break
                    budget[0] -= len(data)
                client.sendall(data)
        except OSError:
            pass
        finally:
            for s in (client, server):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.listener.close()


def dovecot_server():
    """Fixture body: a started server, stopped afterwards; skips when Dovecot is not installed."""
    if not Path(DOVECOT).exists():
        pytest.skip(f"{DOVECOT} is not installed (Debian package dovecot-imapd)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (needed for the test certificate)")
    server = DovecotServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dovecot():
    """One Dovecot for the whole test session (import this name into a test module to use it; or define
    a fixture of your own that yields from ``dovecot_server()``, which linters do not flag)."""
    yield from dovecot_server()
