"""What IT receives beside the installers: SHA256SUMS, the CycloneDX SBOM, and the MSI's definition."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core import APP_ID, APP_NAME, COMPANY, __version__
from scripts import checksums, package_msi, sbom

ROOT = Path(__file__).resolve().parents[2]


def test_sha256sums_lists_every_release_file_and_sha256sum_checks_them(tmp_path: Path) -> None:
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


def test_the_sbom_lists_exactly_the_shipped_python_packages_at_their_pinned_versions(tmp_path: Path) -> None:
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
    # The release files are named in it with their SHA-256, the MSI too once it is built (later, from the
    # Windows app): named again, the list is replaced, never doubled.
    msi = tmp_path / package_msi.msi_name()
    msi.write_bytes(b"an installer")
    sbom.name_artifacts(tmp_path)
    sbom.name_artifacts(tmp_path)
    refs = json.loads((tmp_path / sbom.sbom_name()).read_text())["metadata"]["component"]["externalReferences"]
    named = {ref["url"]: ref["hashes"][0]["content"] for ref in refs if ref["type"] == "distribution"}
    assert named == {msi.name: checksums.sha256(msi)}


def test_the_msi_definition_gets_every_value_it_uses_from_the_one_place_the_version_is_kept() -> None:
    wxs = package_msi.WXS.read_text(encoding="utf-8")
    used = set(re.findall(r"\$\(var\.(\w+)\)", wxs))
    defines = package_msi.wix_defines(ROOT / "dist" / APP_ID)
    assert used | {"AppDir"} == set(defines)  # AppDir: in the file list wixl-heat writes
    assert (defines["Version"], defines["ProductName"], defines["Company"]) == (__version__, APP_NAME, COMPANY)
    ns = {"w": "http://schemas.microsoft.com/wix/2006/wi"}  # the WiX 3 dialect wixl builds
    product = ET.fromstring(wxs).find("w:Product", ns)
    assert product is not None and product.get("UpgradeCode") == str(package_msi.UPGRADE_CODE)
    package = product.find("w:Package", ns)
    assert package is not None and package.get("InstallScope") == "perMachine"
    assert product.find("w:MajorUpgrade", ns) is not None  # a newer MSI replaces the old one in place
    shortcut = product.find(".//w:Shortcut", ns)
    assert shortcut is not None and shortcut.get("Target", "").endswith(f"{APP_ID}.exe")
    # One product code per version, the same at every build (what Intune's detection rule names).
    assert package_msi.product_code("1.2.3") == package_msi.product_code("1.2.3") != package_msi.product_code("1.2.4")


@pytest.mark.skipif(
    not shutil.which("wixl") and not os.environ.get("CI"),
    reason="needs Debian's msitools and wixl (.ci/run installs them)",
)
def test_the_msi_built_on_linux_holds_the_path_entry_the_upgrade_rule_and_every_file(tmp_path: Path) -> None:
    frozen = tmp_path / APP_ID
    (frozen / "_internal" / "sub").mkdir(parents=True)
    for name in ("sfcw.exe", f"{APP_ID}.exe", "_internal/python311.dll", "_internal/sub/data.txt"):
        (frozen / name).write_bytes(name.encode())
    msi = package_msi.build(frozen, tmp_path / "out")
    assert msi.name == package_msi.msi_name()

    def table(name: str) -> list[list[str]]:
        text = subprocess.run(["msiinfo", "export", str(msi), name], capture_output=True, text=True, check=True)
        return [line.split("\t") for line in text.stdout.splitlines()[3:]]

    assert table("Environment") == [list(package_msi.PATH_ROW)]
    sequence = {row[0]: int(row[-1]) for row in table("InstallExecuteSequence")}
    assert sequence["RemoveEnvironmentStrings"] < sequence["InstallFiles"] < sequence["WriteEnvironmentStrings"]
    assert sequence["InstallValidate"] < sequence["RemoveExistingProducts"] < sequence["InstallInitialize"]
    properties = dict(row[:2] for row in table("Property"))
    assert properties["ProductVersion"] == __version__
    assert properties["ProductCode"] == "{" + str(package_msi.product_code()).upper() + "}"
    assert properties["ALLUSERS"] == "1" and properties["ARPPRODUCTICON"] == "AppIcon.ico"
    upgrades = table("Upgrade")
    assert {row[0].lower() for row in upgrades} == {"{" + str(package_msi.UPGRADE_CODE) + "}"}
    files = {row[2].split("|")[-1]: int(row[3]) for row in table("File")}  # FileName: "SHORT|long" or "long"
    assert files == {name: len(name) for name in ("sfcw.exe", f"{APP_ID}.exe", "python311.dll", "data.txt")} | {
        "python311.dll": len("_internal/python311.dll"),
        "data.txt": len("_internal/sub/data.txt"),
    }
    with pytest.raises(ValueError, match="not a version"):
        package_msi.wix_defines(frozen, "1.0.0-beta")


def test_the_readme_gives_the_codes_intune_detects_this_version_by() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "{" + str(package_msi.UPGRADE_CODE).upper() + "}" in readme
    assert f"for {__version__} `{{{str(package_msi.product_code()).upper()}}}`" in readme
