# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The addons build as wheels under the odoo.addons namespace, where Odoo
finds them without an extra addons path."""

import ast
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ADDONS = {
    "recurring_billing": {
        "odoo==18.0.*",
        "odoo-addon-account_invoice_start_end_dates==18.0.*",
        "lxml",
        "factur-x",
        "pypdf",
        "saxonche",
        "fonttools",
    },
    "recurring_billing_stripe": {
        "odoo==18.0.*",
        "odoo-addon-recurring_billing==18.0.*",
        "stripe",
    },
    "recurring_billing_dunning": {
        "odoo==18.0.*",
        "odoo-addon-recurring_billing==18.0.*",
    },
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            *(str(ROOT / addon) for addon in ADDONS),
        ],
        check=True,
    )
    return {path.name.split("-")[0]: path for path in out.glob("*.whl")}


@pytest.mark.parametrize("addon", sorted(ADDONS))
def test_addon_wheel_content_and_requirements(wheels, addon):
    wheel = wheels[f"odoo_addon_{addon}"]
    manifest = ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())
    # whool appends a post-release number for commits since the version bump.
    version = re.escape(manifest["version"])
    assert re.fullmatch(
        rf"odoo_addon_{addon}-{version}(\.\d+)?-py3-none-any\.whl", wheel.name
    )
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = Parser().parsestr(
            archive.read(
                next(n for n in names if n.endswith(".dist-info/METADATA"))
            ).decode()
        )
    assert f"odoo/addons/{addon}/__manifest__.py" in names
    assert f"odoo/addons/{addon}/i18n/fr.po" in names
    assert not any(name.startswith("odoo/addons/__init__") for name in names)
    assert set(metadata.get_all("Requires-Dist")) == ADDONS[addon]
    assert metadata["Name"] == f"odoo-addon-{addon}"


def test_installed_wheels_are_found_by_odoo(wheels, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            *map(str, wheels.values()),
        ],
        check=True,
    )
    probe = (
        "from odoo.modules.module import get_module_path;"
        "print(get_module_path('recurring_billing_stripe'))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert found == str(target / "odoo" / "addons" / "recurring_billing_stripe")


def test_metapackage_names_the_three_addons():
    text = (ROOT / "setup" / "_metapackage" / "pyproject.toml").read_text()
    for addon in ADDONS:
        assert f'"odoo-addon-{addon}==18.0.*"' in text
