"""The Windows installer as IT runs it, under Wine: built, signed, installed, upgraded and removed silently.

    python3 scripts/dev.py windows installer       (after 'windows build'; part of 'python3 scripts/dev.py windows')

Every check is one line (ok / FAIL). What Wine cannot show is said in the README's deployment section:
UAC, SmartScreen, Intune's detection. Two Wine differences are allowed for, and said where they apply:
Wine's msiexec puts a per-machine Start-menu shortcut in the user's Start menu (so the shortcut is looked
for where the install log says ProgramMenuFolder is), writes no DisplayIcon (so the icon is checked in the
MSI's Icon table, which Windows shows), and leaves the separator in PATH where an entry was removed (';;'
after an upgrade, a trailing ';' after removal), where Wine's cmd then stops its PATH search.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import package_msi
import windows as wine_build

from core import APP_ID, APP_NAME, COMPANY, __version__

MSI_DIR = wine_build.WINE_DIR / "msi"
APP_KEY = rf"HKLM\Software\{APP_NAME}"
UNINSTALL = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall"
ENVIRONMENT = r"HKLM\System\CurrentControlSet\Control\Session Manager\Environment"
#: A data file of a vendored library that the app never reads: the newer test version leaves it out, as a
#: newer build can drop a file, to show that an upgrade leaves no stale file behind.
DROPPED = "_internal/setuptools/_vendor/jaraco/text/Lorem ipsum.txt"


def next_version(version: str) -> str:
    fields = [int(f) for f in version.split(".")]
    fields[-1] += 1
    return ".".join(map(str, fields))


def wine(args: list[str], *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["wine", *args],
        env={**wine_build.wine_env(), **(env or {})},
        stdin=subprocess.DEVNULL,  # Python under Wine needs stdin open and stdout a pipe
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        timeout=600,
    )


def reg_values(key: str) -> dict[str, str] | None:
    """The values under ``key`` (name → data), or None when the key is not there."""
    answer = wine(["reg", "query", key])
    if answer.returncode != 0:
        return None
    values = {}
    for line in answer.stdout.splitlines():
        match = re.match(r"^\s{4}(.+?)\s{4}(REG_\w+)\s{4}?(.*)$", line)
        if match:
            values[match.group(1)] = match.group(3).strip()
    return values


def our_uninstall_entries() -> dict[str, dict[str, str]]:
    answer = wine(["reg", "query", UNINSTALL])
    entries = {}
    for key in re.findall(r"^(HKEY_LOCAL_MACHINE\\.+\\Uninstall\\\S+)\s*$", answer.stdout, re.M):
        values = reg_values(key) or {}
        if values.get("DisplayName") == APP_NAME:
            entries[key.rsplit("\\", 1)[1]] = values
    return entries


def system_path() -> str:
    return (reg_values(ENVIRONMENT) or {}).get("PATH", "")


def path_entries(path: str) -> list[str]:
    return [entry.rstrip("\\").lower() for entry in path.split(";") if entry]


def linux_path(windows: str) -> Path:
    """A C:\\ path of the prefix as a Linux path."""
    drive, rest = windows[0].lower(), windows[2:].replace("\\", "/").strip("/")
    if drive != "c":
        raise ValueError(windows)
    prefix: Path = wine_build.PREFIX
    return prefix / "drive_c" / rest


def logged_property(log: Path, name: str) -> str:
    data = log.read_bytes()
    text = data.decode("utf-16" if data[:2] == b"\xff\xfe" else "utf-8", errors="replace")
    match = re.search(rf"^Property\(S\): {re.escape(name)} = (.*)$", text, re.M)
    return match.group(1).strip() if match else ""


def files_of(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def stage(source: Path, target: Path, *, drop: str = "", marker: str = "") -> Path:
    """A copy of the frozen app to build a test MSI from (hard links: no 100 MB copy; signing replaces a file
    rather than writing through its link)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, copy_function=os.link)
    if drop:
        (target / drop).unlink()
    if marker:
        (target / "_internal" / "resources" / marker).write_text(f"{marker}\n", encoding="utf-8")
    return target


def throwaway_certificate(folder: Path) -> tuple[Path, Path, str]:
    """A self-signed code-signing certificate as a password-protected PKCS #12 (and its PEM, to verify with)."""
    import secrets

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{COMPANY} CI throw-away signing")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(key, hashes.SHA256())
    )
    password = secrets.token_urlsafe(16)
    pfx = folder / "ci-signing.pfx"
    encryption = serialization.BestAvailableEncryption(password.encode())
    blob = pkcs12.serialize_key_and_certificates(b"ci", key, certificate, None, encryption)
    fd = os.open(pfx, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(blob)
    pem = folder / "ci-signing.pem"
    pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return pfx, pem, password


def verified(path: Path, ca: Path) -> tuple[bool, str]:
    answer = subprocess.run(
        ["osslsigncode", "verify", "-in", str(path), "-CAfile", str(ca)], capture_output=True, text=True
    )
    text = answer.stdout + answer.stderr
    return answer.returncode == 0 and "Signature verification: ok" in text, text


def roundtrip() -> int:
    """Build, sign, install, check, upgrade, check, remove, check; one line per check. 0 when all pass."""
    failures = 0

    def check(name: str, ok: bool, detail: str = "") -> bool:
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail[-1500:]}", flush=True)
        return ok

    frozen = wine_build.FROZEN
    if not check("the frozen Windows app is built", (frozen / "sfcw.exe").exists(), str(frozen)):
        return 1
    missing = package_msi.missing_tools() + [t for t in ("osslsigncode",) if shutil.which(t) is None]
    if not check("msitools, wixl and osslsigncode are installed", not missing, f"missing {missing}"):
        return 1
    if MSI_DIR.exists():
        shutil.rmtree(MSI_DIR)
    MSI_DIR.mkdir(parents=True)
    new_version = next_version(__version__)

    # --- build and sign --------------------------------------------------------------------------------
    first_app = stage(frozen, MSI_DIR / "app-first")
    second_app = stage(frozen, MSI_DIR / "app-second", drop=DROPPED, marker=f"installed-by-{new_version}.txt")
    with tempfile.TemporaryDirectory(prefix="sfcw-ci-sign-") as folder:
        pfx, pem, password = throwaway_certificate(Path(folder))
        for exe in ("sfcw.exe", f"{APP_ID}.exe"):
            package_msi.sign(first_app / exe, pfx, password)
            ok, text = verified(first_app / exe, pem)
            check(f"{exe} signed with osslsigncode, signature verifies", ok, text)
        check("the frozen app itself is left unsigned (signing replaced the staged links)",
              (frozen / "sfcw.exe").stat().st_ino != (first_app / "sfcw.exe").stat().st_ino)  # fmt: skip
        first = package_msi.build(first_app, MSI_DIR / "first")
        second = package_msi.build(second_app, MSI_DIR / "second", version=new_version)
        shipped = package_msi.build(frozen, MSI_DIR / "unsigned")  # what dist/ gets; the release signs its own
        package_msi.sign(first, pfx, password)
        ok, text = verified(first, pem)
        check(f"{first.name} built with wixl and signed, signature verifies", ok, text)
    tables = subprocess.run(["msiinfo", "export", str(first), "Environment"], capture_output=True, text=True)
    check("the PATH entry is in the MSI's Environment table (added with msibuild)",
          "\t".join(package_msi.PATH_ROW) in tables.stdout, tables.stdout)  # fmt: skip
    icon = subprocess.run(["msiinfo", "extract", str(first), "Icon.AppIcon.ico"], capture_output=True)
    check("the app's icon is the MSI's ARPPRODUCTICON (Apps & features shows it)",
          icon.stdout == (wine_build.ROOT / "resources" / "icon.ico").read_bytes())  # fmt: skip
    product = str(package_msi.product_code()).upper()
    check(f"the product code is {{{product}}} for {__version__}",
          product in subprocess.run(["msiinfo", "export", str(first), "Property"], capture_output=True,
                                    text=True).stdout)  # fmt: skip

    for code in our_uninstall_entries():  # a run killed half-way: start from nothing
        wine(["msiexec", "/x", code, "/qn"])
    path_before = system_path()
    if ";;" in path_before or path_before.endswith(";"):
        # Wine's RemoveEnvironmentStrings leaves the separator behind, and Wine's cmd stops searching PATH at
        # an empty entry: a prefix that ran this before is tidied first (a fresh one, as in CI, needs nothing).
        path_before = ";".join(entry for entry in path_before.split(";") if entry)
        wine(["reg", "add", ENVIRONMENT, "/v", "PATH", "/t", "REG_EXPAND_SZ", "/d", path_before, "/f"])

    # --- install ---------------------------------------------------------------------------------------
    log = MSI_DIR / "install.log"
    answer = wine(["msiexec", "/i", wine_build.windows_path(first), "/qn", "/l*v", wine_build.windows_path(log)])
    check(f"msiexec /i {first.name} /qn (exit {answer.returncode})", answer.returncode == 0, answer.stdout)
    folder_windows = logged_property(log, "INSTALLFOLDER")
    check("installed per machine under Program Files",
          folder_windows.lower() == f"c:\\program files\\{APP_NAME}\\".lower(), folder_windows)  # fmt: skip
    installed = linux_path(folder_windows) if folder_windows else Path("/nonexistent")
    check("every file of the app is installed, nothing else", files_of(installed) == files_of(first_app),
          str(files_of(installed) ^ files_of(first_app)))  # fmt: skip
    menu = logged_property(log, "ProgramMenuFolder")
    shortcut = linux_path(menu) / f"{APP_NAME}.lnk" if menu else Path("/nonexistent")
    check("the Start-menu shortcut points at the wizard",
          shortcut.exists() and f"{APP_ID}.exe".encode() in shortcut.read_bytes().replace(b"\0", b""),
          str(shortcut))  # fmt: skip
    values = reg_values(APP_KEY) or {}
    check("registry values written (install folder, version)",
          values.get("Version") == __version__ and values.get("InstallFolder") == folder_windows, str(values))  # fmt: skip
    entries = our_uninstall_entries()
    entry = entries.get("{" + product + "}", {})
    check("one entry in Apps & features, with name, version and publisher",
          len(entries) == 1 and entry.get("DisplayVersion") == __version__ and entry.get("Publisher") == COMPANY,
          str(entries))  # fmt: skip
    check("the install folder is on the system PATH",
          folder_windows.rstrip("\\").lower() in path_entries(system_path()), system_path())  # fmt: skip
    run = wine(["cmd", "/c", "sfcw.exe", "--version"])
    check("the installed sfcw.exe runs from the PATH: --version",
          run.returncode == 0 and f"{APP_NAME} {__version__}" in run.stdout, run.stdout)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="sfcw-msi-home-") as home:
        key = Path(home) / "keys"
        run = wine(
            [rf"{folder_windows}sfcw.exe", "keygen", "--out", wine_build.windows_path(key)],
            env={"SFCW_HOME": wine_build.windows_path(home)},
        )
        written = key / "salesforce.pem"
        check("the installed sfcw.exe makes a key pair: keygen",
              run.returncode == 0 and written.exists() and b"PRIVATE KEY" in written.read_bytes(),
              run.stdout)  # fmt: skip

    # --- the scheduled watch through Task Scheduler (issue 29) ----------------------------------------
    with tempfile.TemporaryDirectory(prefix="sfcw-msi-home-") as home:
        env = {"SFCW_HOME": wine_build.windows_path(home)}
        sfcw = rf"{folder_windows}sfcw.exe"
        run = wine([sfcw, "schedule", "install", "--every", "6"], env=env)
        task = wine_build.PREFIX / "drive_c" / "windows" / "system32" / "tasks" / f"{APP_NAME} watch"
        stored = task.read_text(encoding="utf-8-sig", errors="replace") if task.exists() else ""
        check("schtasks /Create /XML accepts the watch's task: schedule install",
              run.returncode == 0 and "Task Scheduler task" in run.stdout and "<StartWhenAvailable>true" in stored,
              run.stdout + stored)  # fmt: skip
        # What Wine 8's Task Scheduler keeps of it: the description and the settings (StartWhenAvailable,
        # ExecutionTimeLimit, MultipleInstancesPolicy); it drops the trigger, the principal and the Exec
        # action (not implemented in Wine), so the task is registered but never runs here.
        run = wine([sfcw, "schedule", "status"], env=env)
        check("schedule status finds the task", run.returncode == 0 and "Installed as a Task Scheduler task" in run.stdout,
              run.stdout)  # fmt: skip
        run = wine([sfcw, "schedule", "remove"], env=env)
        check("schedule remove deletes it", run.returncode == 0 and not task.exists(), run.stdout)

    # --- upgrade ---------------------------------------------------------------------------------------
    log = MSI_DIR / "upgrade.log"
    answer = wine(["msiexec", "/i", wine_build.windows_path(second), "/qn", "/l*v", wine_build.windows_path(log)])
    check(f"msiexec /i {second.name} /qn over {__version__} (exit {answer.returncode})",
          answer.returncode == 0, answer.stdout)  # fmt: skip
    entries = our_uninstall_entries()
    check(f"still one entry in Apps & features, now {new_version}",
          len(entries) == 1 and next(iter(entries.values())).get("DisplayVersion") == new_version, str(entries))  # fmt: skip
    check(
        "the newer files are in place",
        (installed / "_internal" / "resources" / f"installed-by-{new_version}.txt").exists(),
    )
    check("no stale file: the file the newer version dropped is gone, the folder is the newer package's",
          not (installed / DROPPED).exists() and files_of(installed) == files_of(second_app),
          str(files_of(installed) ^ files_of(second_app)))  # fmt: skip
    values = reg_values(APP_KEY) or {}
    check("registry values are the newer version's", values.get("Version") == new_version, str(values))
    check("the PATH holds the install folder once",
          path_entries(system_path()).count(folder_windows.rstrip("\\").lower()) == 1, system_path())  # fmt: skip
    # By its full path: Wine's upgrade leaves an empty PATH entry (';;') where the old one was removed, and
    # Wine's cmd stops its PATH search there (the PATH itself is checked above).
    run = wine([rf"{folder_windows}sfcw.exe", "--version"])
    check("the upgraded sfcw.exe runs", run.returncode == 0 and APP_NAME in run.stdout, run.stdout)

    # --- remove ----------------------------------------------------------------------------------------
    log = MSI_DIR / "remove.log"
    answer = wine(["msiexec", "/x", wine_build.windows_path(second), "/qn", "/l*v", wine_build.windows_path(log)])
    check(f"msiexec /x {second.name} /qn (exit {answer.returncode})", answer.returncode == 0, answer.stdout)
    check("no file or folder left under Program Files", not installed.exists(), str(files_of(installed)))
    check("no shortcut left in the Start menu", not shortcut.exists(), str(shortcut))
    check("no registry values left", reg_values(APP_KEY) is None, str(reg_values(APP_KEY)))
    check("no entry left in Apps & features", not our_uninstall_entries(), str(our_uninstall_entries()))
    after = system_path()
    check("no PATH entry left (PATH as before; Wine may leave a trailing ';')",
          after.rstrip(";") == path_before.rstrip(";"), f"before {path_before!r}, after {after!r}")  # fmt: skip

    dist = wine_build.ROOT / "dist"
    if dist.is_dir():  # after 'dev.py build': the MSI joins the release files, named in the SBOM and SHA256SUMS
        from scripts import checksums, sbom

        shutil.copyfile(shipped, dist / shipped.name)
        if (dist / sbom.sbom_name()).exists():
            sbom.name_artifacts(dist)
        sums = checksums.write_sums(dist)
        check(f"{shipped.name} (unsigned; the release signs its own) is in dist/, its SBOM and SHA256SUMS",
              shipped.name in sums.read_text() and (not (dist / sbom.sbom_name()).exists()
                                                   or shipped.name in (dist / sbom.sbom_name()).read_text()))  # fmt: skip
    print(f"{'installer: all checks passed' if not failures else f'installer: {failures} check(s) FAILED'}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(roundtrip())
