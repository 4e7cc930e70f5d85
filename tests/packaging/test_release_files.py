"""What IT receives beside the installers: SHA256SUMS, the CycloneDX SBOM, and the MSI's definition."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from core import APP_ID, APP_NAME, COMPANY, __version__
from scripts import checksums, package_msi, sbom

ROOT = Path(__file__).resolve().parents[2]


def test_sha256sums_lists_every_release_file_and_sha256sum_checks_them(tmp_path):
    for name in (
        f"{APP_ID}-{__version__}-linux-x86_64.tar.xz",
        f"{APP_ID}_{__version__}_amd64.deb",
        f"{APP_ID}-{__version__}.cdx.json",
        f"{APP_ID}-{__version__}-windows-x64.msi",
    ):
        (tmp_path / name).write_bytes(name.encode() * 1000)
    (tmp_path / "notes.txt").write_text("not a release file")
    sums = checksums.write_sums(tmp_path)
    listed = [line.split(" *", 1)[1] for line in sums.read_text().splitlines()]
    assert sorted(listed) == sorted(p.name for p in tmp_path.iterdir() if p.name not in ("notes.txt", "SHA256SUMS"))
    if shutil.which("sha256sum"):
        assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True).returncode == 0
        (tmp_path / f"{APP_ID}_{__version__}_amd64.deb").write_bytes(b"tampered")
        tampered = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
        assert tampered.returncode != 0 and "FAILED" in tampered.stdout


def test_the_sbom_lists_exactly_the_shipped_python_packages_at_their_pinned_versions(tmp_path):
    bom = json.loads(sbom.write_sbom(tmp_path).read_text())
    assert bom["bomFormat"] == "CycloneDX"
    main = bom["metadata"]["component"]
    assert (main["name"], main["version"], main["type"]) == (APP_ID, __version__, "application")
    components = {c["name"].lower().replace("_", "-"): c["version"] for c in bom["components"]}
    pinned = sbom.shipped_pins()
    for name, version in pinned.items():
        assert components.get(name.lower().replace("_", "-")) == version, name
    assert "pyinstaller" in components  # its bootloader is in every executable
    assert {"certifi", "urllib3", "cffi", "jeepney"} <= set(components)  # what the pins pull in
    for dev_only in ("pytest", "mypy", "ruff", "pip", "setuptools", "hypothesis", "simple-salesforce"):
        assert dev_only not in components
    assert all(c.get("purl", "").startswith("pkg:pypi/") for c in bom["components"])


def test_the_msi_definition_gets_every_value_it_uses_from_the_one_place_the_version_is_kept():
    wxs = package_msi.WXS.read_text(encoding="utf-8")
    used = set(re.findall(r"\$\(var\.(\w+)\)", wxs))
    defines = package_msi.wix_defines(ROOT / "dist" / APP_ID)
    assert used == set(defines)
    assert (defines["Version"], defines["ProductName"], defines["Company"]) == (__version__, APP_NAME, COMPANY)
    ns = {"w": "http://wixtoolset.org/schemas/v4/wxs"}
    package = ET.fromstring(wxs).find("w:Package", ns)
    assert package is not None and package.get("Scope") == "perMachine"
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", package.get("UpgradeCode", ""))
    assert package.find("w:MajorUpgrade", ns) is not None  # a newer MSI replaces the old one in place
    path = package.find(".//w:Environment", ns)
    assert path is not None and (path.get("Name"), path.get("System"), path.get("Permanent")) == ("PATH", "yes", "no")
    shortcut = package.find(".//w:Shortcut", ns)
    assert shortcut is not None and shortcut.get("Target", "").endswith(f"{APP_ID}.exe")
