"""A real IMAP server for the tests: Debian's dovecot (2.3), one unprivileged instance per
test with a config of its own.

Everything lives in a fresh folder under /tmp (short paths: dovecot's sockets must fit in
108 bytes): dovecot.conf, a passwd-file with one {PLAIN} user, base_dir and state_dir (so
nothing touches /run/dovecot or a system dovecot), the maildirs and dovecot.log. It listens on
127.0.0.1 only, on a free port (and a second one with TLS when given a certificate), allows
plaintext login, and runs in the foreground (`dovecot -F`): no systemd, stopped with SIGTERM.
Run as root, dovecot's login processes drop to its own `dovenull` user and the mail is kept
as `nobody` (dovecot refuses uid 0 for mail); run as another user, all of it is that user.

The test side talks to it with the standard library's imaplib: a client independent of the
one under test.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "zvh-kennemerland", "geheim imap-wachtwoord"
STARTUP_SECONDS = 15


def require_dovecot() -> None:
    """Skip without dovecot 2.3; with CI=true fail instead (make mailserver installs it)."""
    if not DOVECOT.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{DOVECOT} is required in CI (make mailserver installs dovecot-imapd)")
        pytest.skip(f"{DOVECOT} not installed (make mailserver installs dovecot-imapd)")
    version = subprocess.run(
        [str(DOVECOT), "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    if not version.startswith("2.3."):
        # 2.4 changed the configuration language; this fixture writes the 2.3 one.
        message = f"the IMAP fixture writes a dovecot 2.3 config, found dovecot {version!r}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Dovecot:
    def __init__(self, cert: Path | None = None, key: Path | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="casetafel-imap-"))
        self.folder.chmod(0o755)
        self.port = free_port()
        self.tls_port = free_port() if cert else None
        self.cert, self.key = cert, key
        self.log = self.folder / "dovecot.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._prepare()

    def url(self, mailbox: str = "", *, tls: bool = False, password: str = PASSWORD) -> str:
        scheme, port = ("imaps", self.tls_port) if tls else ("imap", self.port)
        secret = password.replace(" ", "%20")
        return f"{scheme}://{USER}:{secret}@127.0.0.1:{port}/{mailbox}"

    def start(self) -> None:
        config = self.folder / "dovecot.conf"
        self.process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: see stop()
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dovecot did not start:\n{self.log_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the instance. An imap process serving a client outlives dovecot's master
        process, so the rest of its process group goes too."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        _signal_group(process.pid, signal.SIGTERM)

    def crash(self) -> None:
        """All of the instance dies at once, connections included, as in a server crash."""
        process, self.process = self.process, None
        if process is not None:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def remove(self) -> None:
        self.crash()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @contextmanager
    def client(self, mailbox: str = "INBOX") -> Iterator[imaplib.IMAP4]:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            connection.login(USER, PASSWORD)
            status, _ = connection.select(_quoted(mailbox))
            assert status == "OK", mailbox
            yield connection
        finally:
            connection.logout()

    def create_mailbox(self, name: str) -> None:
        with self.client() as connection:
            status, answer = connection.create(_quoted(name))
            assert status == "OK", answer

    def append(self, message: bytes, flags: str = "", mailbox: str = "INBOX") -> int:
        """Deliver a message as a mail server would (or a person moving it there); its UID."""
        [uid] = self.append_all([message], flags, mailbox)
        return uid

    def append_all(
        self, messages: list[bytes], flags: str = "", mailbox: str = "INBOX"
    ) -> list[int]:
        with self.client(mailbox) as connection:
            return [_append(connection, mailbox, message, flags) for message in messages]

    def flags(self, uid: int, mailbox: str = "INBOX") -> set[str]:
        with self.client(mailbox) as connection:
            status, answer = connection.uid("FETCH", str(uid), "(FLAGS)")
        assert status == "OK" and answer and isinstance(answer[0], bytes), answer
        found = re.search(rb"FLAGS \(([^)]*)\)", answer[0])
        assert found, answer
        return set(found.group(1).decode().split())

    def set_flags(self, uid: int, flags: str) -> None:
        with self.client() as connection:
            status, answer = connection.uid("STORE", str(uid), "+FLAGS", f"({flags})")
        assert status == "OK", answer

    def delete(self, *uids: int) -> None:
        """Delete and expunge, as another client of the same mailbox would."""
        with self.client() as connection:
            for uid in uids:
                connection.uid("STORE", str(uid), "+FLAGS", r"(\Deleted)")
            status, answer = connection.expunge()
        assert status == "OK", answer

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                return probe.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _prepare(self) -> None:
        for name in ("run", "state", "mail"):
            (self.folder / name).mkdir()
        mail_user, mail_group = _mail_account()
        if os.geteuid() == 0:
            shutil.chown(self.folder / "mail", mail_user, mail_group)
        (self.folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (self.folder / "dovecot.conf").write_text(self._config(mail_user, mail_group))

    def _config(self, mail_user: str, mail_group: str) -> str:
        folder = self.folder
        lines = [
            f"base_dir = {folder}/run",
            f"state_dir = {folder}/state",
            f"instance_name = casetafel-test-{self.port}",
            f"log_path = {self.log}",
            "listen = 127.0.0.1",
            "protocols = imap",
            "disable_plaintext_auth = no",
            "auth_mechanisms = plain login",
            "auth_failure_delay = 0",
            f"mail_location = maildir:{folder}/mail/%u",
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN {folder}/passwd",
            "}",
            "userdb {",
            "  driver = static",
            f"  args = uid={mail_user} gid={mail_group} home={folder}/mail/%u",
            "}",
            *self._tls_settings(),
            *_unprivileged_settings(mail_user, mail_group),
            "service imap-login {",
            *_listener("imap", self.port, tls=False),
            *(_listener("imaps", self.tls_port, tls=True) if self.tls_port else []),
        ]
        if os.geteuid() != 0:
            # Only root may chroot: the login and anvil processes stay where they are.
            lines += ["  chroot =", "}", "service anvil {", "  chroot ="]
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _tls_settings(self) -> list[str]:
        if not self.cert:
            return ["ssl = no"]
        return ["ssl = yes", f"ssl_cert = <{self.cert}", f"ssl_key = <{self.key}"]


def _signal_group(group: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal_number)


def _listener(name: str, port: int, *, tls: bool) -> list[str]:
    return [
        f"  inet_listener {name} {{",
        "    address = 127.0.0.1",
        f"    port = {port}",
        f"    ssl = {'yes' if tls else 'no'}",
        "  }",
    ]


def _mail_account() -> tuple[str, str]:
    """Who owns the mail: `nobody` under root (dovecot will not use uid 0), else oneself."""
    account = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    return account.pw_name, grp.getgrgid(account.pw_gid).gr_name


def _unprivileged_settings(user: str, group: str) -> list[str]:
    """Run as a normal user, dovecot's own processes must be that user too."""
    if os.geteuid() == 0:
        return []
    return [
        f"default_internal_user = {user}",
        f"default_internal_group = {group}",
        f"default_login_user = {user}",
    ]


def _append(connection: imaplib.IMAP4, mailbox: str, message: bytes, flags: str) -> int:
    status, answer = connection.append(
        _quoted(mailbox), f"({flags})" if flags else None, None, message
    )
    assert status == "OK", answer
    found = re.search(rb"APPENDUID \d+ (\d+)", answer[0] or b"")
    assert found, answer
    return int(found.group(1))


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
