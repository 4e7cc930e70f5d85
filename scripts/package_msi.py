"""Build the Windows installer (MSI) from the frozen Windows app, on Linux, with Debian's msitools.

    python3 scripts/package_msi.py [--frozen DIR] [--out DIR] [--sign] [--zip]

The one installer definition is packaging/windows/salesforce-connector-wizard.wxs (the WiX 3 dialect
that wixl builds). This script lists the frozen app's files with wixl-heat, builds the MSI with wixl,
then adds what wixl 0.101 refuses, the PATH entry, as a row of the MSI's Environment table (with the
WriteEnvironmentStrings and RemoveEnvironmentStrings actions) through msibuild's SQL: the same row
WiX writes for <Environment Name="PATH" Value="[INSTALLFOLDER]" Part="last" Action="set" System="yes"
Permanent="no"/>. CI builds, installs, upgrades and removes it under Wine (python3 scripts/dev.py
windows); the release workflow builds it the same way from the Windows job's frozen app.

--sign signs both executables, then the MSI, with osslsigncode (Debian) when WINDOWS_CERTIFICATE_PFX_BASE64
and WINDOWS_CERTIFICATE_PASSWORD are set (the password goes to osslsigncode in a 0600 file, never in argv;
SFCW_TIMESTAMP_URL adds an RFC 3161 time stamp); without them it says they are unsigned and goes on.
--zip packs the (signed) app folder as the portable -windows-amd64.zip.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import APP_ID, APP_NAME, COMPANY, __version__  # noqa: E402 - after the path set-up

WXS = ROOT / "packaging" / "windows" / f"{APP_ID}.wxs"
#: Never change it: Windows knows the installed app's versions as one product by this code.
UPGRADE_CODE = uuid.UUID("e69b069d-e095-48bd-b30c-7c6ceba1dc2f")
ABOUT_URL = "https://docs.unstructured.io/ui/sources/salesforce"
#: The Environment row WiX writes for the PATH entry: "=" set, "-" removed with the app, "*" the system's
#: variable; "[~];" appends to what is there.
PATH_ROW = ("PathEntry", "=-*PATH", "[~];[INSTALLFOLDER]", "SystemPath")
TOOLS = ("wixl", "wixl-heat", "msibuild", "msiinfo")


def msi_name(version: str = __version__, arch: str = "x64") -> str:
    return f"{APP_ID}-{version}-windows-{arch}.msi"


def product_code(version: str = __version__, arch: str = "x64") -> uuid.UUID:
    """One product code per version and architecture, the same at every build (Intune and SCCM detect an
    installed MSI by it; the upgrade code stays the same across versions)."""
    return uuid.uuid5(UPGRADE_CODE, f"{version}/{arch}")


def msi_version(version: str) -> str:
    """Windows Installer compares the first three fields, each a number (255.255.65535 at most)."""
    fields = version.split(".")
    if not 1 <= len(fields) <= 4 or not all(re.fullmatch(r"\d+", f) for f in fields):
        raise ValueError(f"{version!r} is not a version Windows Installer can compare (X.Y.Z, numbers)")
    return version


def wix_defines(frozen: Path, version: str = __version__) -> dict[str, str]:
    """The preprocessor variables the .wxs uses ($(var.NAME)), all from one place."""
    return {
        "ProductName": APP_NAME,
        "Company": COMPANY,
        "Version": msi_version(version),
        "ProductCode": str(product_code(version)),
        "AboutUrl": ABOUT_URL,
        # wixl takes sources relative to where it runs (ROOT), never absolute
        "AppDir": os.path.relpath(frozen, ROOT),
        "Icon": os.path.relpath(ROOT / "resources" / "icon.ico", ROOT),
    }


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def file_list(frozen: Path, work: Path) -> Path:
    """The AppFiles component group: one component per file, ids derived from the path (wixl-heat)."""
    names = sorted(p.relative_to(frozen.parent).as_posix() for p in frozen.rglob("*") if p.is_file())
    heat = subprocess.run(
        [
            "wixl-heat",
            "-p",
            f"{frozen.name}/",
            "--directory-ref",
            "INSTALLFOLDER",
            "--component-group",
            "AppFiles",
            "--var",
            "var.AppDir",
            "--win64",
        ],  # fmt: skip
        input="".join(f"{name}\n" for name in names),
        capture_output=True,
        text=True,
        check=True,
        cwd=frozen.parent,
    )
    target = work / "app-files.wxs"
    target.write_text(heat.stdout, encoding="utf-8")
    return target


def add_path_entry(msi: Path) -> None:
    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    row = ", ".join(quoted(value) for value in PATH_ROW)
    queries = [
        "CREATE TABLE `Environment` (`Environment` CHAR(72) NOT NULL, `Name` CHAR(255) NOT NULL LOCALIZABLE, "
        "`Value` CHAR(255) LOCALIZABLE, `Component_` CHAR(72) NOT NULL PRIMARY KEY `Environment`)",
        f"INSERT INTO `Environment` (`Environment`, `Name`, `Value`, `Component_`) VALUES ({row})",
        # Where WiX puts them: after RemoveShortcuts (3200) and after WriteRegistryValues (5000).
        "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('RemoveEnvironmentStrings', 3300)",
        "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('WriteEnvironmentStrings', 5200)",
    ]
    subprocess.run(["msibuild", str(msi), *(arg for q in queries for arg in ("-q", q))], check=True)
    exported = subprocess.run(["msiinfo", "export", str(msi), "Environment"], capture_output=True, text=True)
    if "\t".join(PATH_ROW) not in exported.stdout:
        raise RuntimeError(f"the PATH entry is not in {msi.name}'s Environment table:\n{exported.stdout}")


def build(frozen: Path, out_dir: Path, *, version: str = __version__, arch: str = "x64") -> Path:
    missing = missing_tools()
    if missing:
        sys.exit(f"Missing {', '.join(missing)}: apt-get install msitools wixl")
    if not (frozen / "sfcw.exe").exists():
        sys.exit(
            f"{frozen} holds no frozen Windows app (sfcw.exe); build it first (python3 scripts/dev.py windows build)."
        )
    if arch != "x64":
        sys.exit("The installer is built for x64 only (wixl knows no arm64).")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / msi_name(version, arch)
    with tempfile.TemporaryDirectory(prefix="sfcw-msi-") as folder:
        work = Path(folder)
        files = file_list(frozen, work)
        values = {**wix_defines(frozen.resolve(), version), "Win64": "yes"}  # Win64: wixl-heat's components
        defines = [arg for name, value in values.items() for arg in ("-D", f"{name}={value}")]
        partial = work / target.name
        subprocess.run(["wixl", "-a", "x64", *defines, "-o", str(partial), str(WXS), str(files)], check=True, cwd=ROOT)
        add_path_entry(partial)
        shutil.move(partial, target)
    return target


def sign(path: Path, pfx: Path, password: str) -> None:
    """Authenticode-sign an .exe or .msi in place with osslsigncode, the password read from a 0600 file."""
    with tempfile.TemporaryDirectory(prefix="sfcw-sign-") as folder:
        secret = Path(folder) / "password"
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password)
        signed = path.with_name(path.name + ".signing")
        command = ["osslsigncode", "sign", "-pkcs12", str(pfx), "-readpass", str(secret), "-h", "sha256",
                   "-n", APP_NAME, "-i", ABOUT_URL]  # fmt: skip
        if os.environ.get("SFCW_TIMESTAMP_URL"):  # a release reaches a time-stamp server; CI has no network
            command += ["-ts", os.environ["SFCW_TIMESTAMP_URL"]]
        try:
            subprocess.run([*command, "-in", str(path), "-out", str(signed)], check=True, stdout=subprocess.DEVNULL)
            os.replace(signed, path)  # a new file: never written through a hard link into another copy
        finally:
            signed.unlink(missing_ok=True)


def sign_from_environment(paths: list[Path]) -> bool:
    """Sign with the release's certificate (WINDOWS_CERTIFICATE_PFX_BASE64, WINDOWS_CERTIFICATE_PASSWORD) when
    it is configured; say so and sign nothing when it is not."""
    import base64

    encoded = os.environ.get("WINDOWS_CERTIFICATE_PFX_BASE64", "")
    if not encoded:
        print("Not signed: WINDOWS_CERTIFICATE_PFX_BASE64 is not set (SmartScreen will warn).", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory(prefix="sfcw-pfx-") as folder:
        pfx = Path(folder) / "signing.pfx"
        fd = os.open(pfx, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.b64decode(encoded))
        for path in paths:
            sign(path, pfx, os.environ.get("WINDOWS_CERTIFICATE_PASSWORD", ""))
            print(f"signed {path.name}", file=sys.stderr)
    return True


def zip_app(frozen: Path, out_dir: Path) -> Path:
    """The portable zip of the (signed) Windows app, named as archive.py names it on Windows."""
    base = out_dir / f"{APP_ID}-{__version__}-windows-amd64"
    archive = Path(shutil.make_archive(str(base), "zip", frozen.parent, frozen.name))
    print(f"{archive}  {archive.stat().st_size / 1e6:.1f} MB")
    return archive


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frozen", type=Path, default=ROOT / "dist" / APP_ID, help="the frozen Windows app")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--version", default=__version__, help=argparse.SUPPRESS)
    parser.add_argument(
        "--sign", action="store_true", help="sign both executables, then the MSI, when a certificate is configured"
    )
    parser.add_argument("--zip", action="store_true", help="also pack the (signed) app as the portable zip")
    args = parser.parse_args(argv)
    if args.sign:
        sign_from_environment([args.frozen / "sfcw.exe", args.frozen / f"{APP_ID}.exe"])
    if args.zip:
        zip_app(args.frozen, args.out)
    target = build(args.frozen, args.out, version=args.version)
    if args.sign:
        sign_from_environment([target])
    size = target.stat().st_size / 1e6
    print(f"{target}  {size:.1f} MB  product code {{{str(product_code(args.version)).upper()}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
