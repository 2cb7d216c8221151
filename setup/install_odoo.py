# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Install Odoo 18.0 for this python3, non-editable, with its standard addons
inside the package, from a source directory or the upstream git repository.

Used by ``python3 tasks.py install-odoo`` (see its help); nothing of Odoo is
ever written inside this repository.
"""

import contextlib
import fnmatch
import importlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ODOO_GIT_URL = "https://github.com/odoo/odoo.git"
ODOO_BRANCH = "18.0"
ODOO_TARGET = Path("~/odoo-18.0")
# Debian packages Odoo's requirements need to build (psycopg2, python-ldap).
DEBIAN_BUILD_PACKAGES = ["libpq-dev", "libldap2-dev", "libsasl2-dev"]
# setuptools 81 dropped pkg_resources, which building some of Odoo 18.0's
# pinned requirements still imports.
PIP_CONSTRAINTS = "setuptools<81\n"


def say(message):
    print(f"[tasks] {message}", flush=True)


def fail(message, code=2):
    print(message, file=sys.stderr, flush=True)
    sys.exit(code)


class Steps:
    """The commands of an installation: run them, or only print them (dry run).
    Each is printed first, as a shell command."""

    def __init__(self, dry_run=False):
        self.dry_run = dry_run

    def show(self, command, env=None, note=""):
        if isinstance(command, str):
            shown = command
        else:
            shown = shlex.join(str(part) for part in command)
        if env:
            variables = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
            shown = f"{variables} {shown}"
        print(f"  $ {shown}{'   # ' + note if note else ''}", flush=True)

    def run(self, command, env=None):
        self.show(command, env)
        if self.dry_run:
            return
        result = subprocess.run(
            [str(part) for part in command], env=dict(os.environ, **(env or {}))
        )
        if result.returncode:
            fail(f"this command failed (exit code {result.returncode}).", code=1)

    def write(self, path, text):
        printf = shlex.join(["printf", text.replace("\n", "\\n")])
        self.show(f"{printf} > {shlex.quote(str(path))}")
        if not self.dry_run:
            Path(path).write_text(text)

    def copy(self, source, destination, ignore=None, note=""):
        self.show(["cp", "-r", source, destination], note=note)
        if not self.dry_run:
            shutil.copytree(source, destination, ignore=ignore, dirs_exist_ok=True)


def is_git_url(source):
    return "://" in source or re.match(r"^[\w.-]+@[\w.-]+:", source) is not None


def outside_repository(path, option):
    path = Path(path).expanduser().resolve()
    if path == ROOT or ROOT in path.parents:
        fail(
            f"{option} {path} is inside this repository; nothing of Odoo goes "
            "there. Choose a directory outside it."
        )
    return path


def check_odoo_source(path):
    release = path / "odoo" / "release.py"
    found = re.search(
        r"^version_info = \((\d+), (\d+)",
        release.read_text() if release.exists() else "",
        re.MULTILINE,
    )
    if not (
        found and (path / "requirements.txt").exists() and (path / "addons").is_dir()
    ):
        fail(f"{path} is not an Odoo source directory (no odoo/release.py, addons/).")
    if (int(found.group(1)), int(found.group(2))) != (18, 0):
        fail(f"{path} holds Odoo {found.group(1)}.{found.group(2)}, not 18.0.")


def odoo_checkout(source, target, steps):
    """The Odoo 18.0 source directory to install from: source itself when it
    is a directory, else a shallow clone of its 18.0 branch into target."""
    if Path(source).expanduser().is_dir():
        path = outside_repository(source, "--source")
        check_odoo_source(path)
        say(f"installing from the Odoo source in {path}")
        return path
    if not is_git_url(source):
        fail(f"--source {source}: no such directory, nor a git URL.")
    target = outside_repository(target, "--target")
    if (target / "odoo" / "release.py").exists():
        check_odoo_source(target)
        say(
            f"using the Odoo checkout already in {target} "
            f"(update it with `git -C {target} pull`, or pass another --target)"
        )
        return target
    if target.exists() and any(target.iterdir()):
        fail(f"--target {target} exists and is not an Odoo checkout.")
    if not shutil.which("git"):
        message = (
            "git is needed to clone Odoo (Debian: apt-get install git), or pass "
            "--source with an Odoo 18.0 source directory."
        )
        if not steps.dry_run:
            fail(message)
        say(f"warning: {message}")
    say(f"cloning the {ODOO_BRANCH} branch of {source} into {target}")
    steps.run(["git", "clone", "--depth", "1", "--branch", ODOO_BRANCH, source, target])
    return target


def debian_package_installed(package):
    status = subprocess.run(
        ["dpkg-query", "--show", "--showformat=${Status}", package],
        capture_output=True,
        text=True,
    ).stdout
    return status.endswith(" installed")


def install_build_packages(steps):
    """The Debian packages Odoo's requirements need to build, when missing."""
    wanted = list(DEBIAN_BUILD_PACKAGES)
    if not (shutil.which("cc") or shutil.which("gcc")):
        wanted.append("build-essential")
    if not (Path(sysconfig.get_path("include")) / "Python.h").exists():
        wanted.append("python3-dev")
    if not (Path("/etc/debian_version").exists() and shutil.which("dpkg-query")):
        say(
            "not Debian/Ubuntu: install with your system's package manager the "
            "development files of libpq (PostgreSQL), OpenLDAP and Cyrus SASL, "
            "a C compiler and the Python headers (Debian names: "
            f"{' '.join(wanted)}), if building psycopg2 or python-ldap fails."
        )
        return
    missing = [package for package in wanted if not debian_package_installed(package)]
    if not missing:
        say(f"Debian packages already installed: {' '.join(wanted)}")
        return
    if os.geteuid() != 0:
        say(
            "not root, so not installing the Debian packages Odoo's requirements "
            f"need to build; install them first:\n\n    sudo apt-get install -y "
            f"{' '.join(missing)}\n"
        )
        return
    say(f"installing Debian packages: {' '.join(missing)}")
    apt_env = {"DEBIAN_FRONTEND": "noninteractive"}
    steps.run(["apt-get", "update", "-qq"], env=apt_env)
    steps.run(["apt-get", "install", "-y", *missing], env=apt_env)


def check_pip_can_install(dry_run):
    """pip refuses to install into a distribution's own Python (PEP 668)."""
    managed = Path(sysconfig.get_path("stdlib")) / "EXTERNALLY-MANAGED"
    if sys.prefix != sys.base_prefix or not managed.exists():
        return
    if os.environ.get("PIP_BREAK_SYSTEM_PACKAGES"):
        return
    message = (
        f"{sys.executable} is your system's Python, managed by its package "
        "manager: pip will not install Odoo into it. Use a virtual environment:\n\n"
        "    python3 -m venv ~/odoo-venv\n"
        "    ~/odoo-venv/bin/python tasks.py install-odoo\n\n"
        "then run the other commands with ~/odoo-venv/bin/python too."
    )
    if not dry_run:
        fail(message)
    say(f"warning: {message}")


@contextlib.contextmanager
def scratch_directory(dry_run):
    """A temporary directory, removed afterwards; only named in a dry run."""
    if dry_run:
        yield Path(tempfile.gettempdir()) / "odoo-18.0-install-XXXXXXXX"
        return
    with tempfile.TemporaryDirectory(prefix="odoo-18.0-install-") as path:
        yield Path(path)


def install_odoo(source=ODOO_GIT_URL, target=ODOO_TARGET, dry_run=False):
    """Install Odoo 18.0 for this interpreter, non-editable, with the
    standard addons inside the odoo package, from source (a directory, or a
    git URL cloned into target)."""
    steps = Steps(dry_run)
    if dry_run:
        say("dry run: these are the commands, none is run")
    if sys.version_info >= (3, 13):
        say(
            f"warning: Odoo 18.0 supports Python 3.10 to 3.12; some of its pinned "
            f"requirements may not build on {sys.version.split()[0]}."
        )
    check_pip_can_install(dry_run)
    checkout = odoo_checkout(source, target, steps)
    install_build_packages(steps)
    python = sys.executable
    with scratch_directory(dry_run) as scratch:
        constraints = scratch / "constraints.txt"
        steps.write(constraints, PIP_CONSTRAINTS)
        pip_env = {"PIP_CONSTRAINT": str(constraints)}
        say("installing Odoo's requirements")
        steps.run(
            [python, "-m", "pip", "install", "-r", checkout / "requirements.txt"],
            env=pip_env,
        )
        # A copy of the source with the standard addons inside the package,
        # so that the checkout stays as it is.
        package = scratch / "odoo"
        say(f"installing Odoo, with its standard addons, from a copy in {package}")

        def ignore(directory, names):
            skipped = {"__pycache__", ".git"}
            if Path(directory) == checkout:
                skipped |= {"addons", "build", "dist"}
                skipped |= set(fnmatch.filter(names, "*.egg-info"))
            return skipped & set(names)

        steps.copy(
            checkout,
            package,
            ignore=ignore,
            note="without .git, build/, *.egg-info and addons/",
        )
        addons = (
            sorted(
                path.name for path in (checkout / "addons").iterdir() if path.is_dir()
            )
            if checkout.exists()
            else []
        )
        steps.show(
            f"cp -r {shlex.quote(str(checkout / 'addons'))}/* "
            f"{shlex.quote(str(package / 'odoo' / 'addons'))}/",
            note=f"the {len(addons)} standard addons" if addons else "",
        )
        if not dry_run:
            for name in addons:
                shutil.copytree(
                    checkout / "addons" / name,
                    package / "odoo" / "addons" / name,
                    ignore=ignore,
                    dirs_exist_ok=True,
                )
        steps.run([python, "-m", "pip", "install", "--no-deps", package], env=pip_env)
    steps.run(
        [
            python,
            "-c",
            'import odoo.release; print("Odoo", odoo.release.version, "installed")',
        ]
    )
    if not dry_run:
        importlib.invalidate_caches()
        say(f"Odoo 18.0 installed for {python}; next: python3 tasks.py demo")
