# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the READMEs and the guide say is where it says: every menu path they
name exists (in English, and in French in the French guide), every menu of
the addons is in the root README, every model the root README lists under an
addon is that addon's, every dependency of the manifests is named, every
scheduled action named exists, and the addons' READMEs are generated from
their fragments."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("recurring_billing", "recurring_billing_stripe", "recurring_billing_dunning")
# The first name of a menu path, per language: the Odoo apps the documents
# send readers to. Other paths in italics (the Stripe dashboard's, the
# portal's *My account > Subscriptions*) are not Odoo menus.
APPS = {
    "en": ("Sales", "Invoicing", "Settings"),
    "fr": ("Ventes", "Facturation", "Paramètres"),
}
SEPARATOR = " > "
# A model between double backquotes (reStructuredText literals).
MODEL_LITERAL = re.compile(r"``([a-z_]+(?:\.[a-z_]+)+)``")
CRON_NAME = re.compile(r"([*_])(Subscriptions: [^*_]+)\1")


def english_documents():
    """The root README, the addons' readme fragments (but their changelog,
    which tells what was true then) and the English guide."""
    paths = [ROOT / "README.rst"]
    for addon in ADDONS:
        paths += sorted(
            path
            for path in (ROOT / addon / "readme").glob("*.md")
            if path.name != "HISTORY.md"
        )
    return paths + sorted((ROOT / "docs" / "en").glob("*.md"))


def french_documents():
    return sorted((ROOT / "docs" / "fr").glob("*.md"))


def menu_paths(path, lang):
    """The menu paths named in ``path``, in italics: ``*App > Menu > Item*``
    (or ``_App > Menu > Item_``, as prettier writes Markdown), a line break
    allowed anywhere."""
    text = re.sub(r"\s+", " ", path.read_text())
    apps = "|".join(re.escape(app) for app in APPS[lang])
    pattern = re.compile(
        rf"(?<![\w*])([*_])((?:{apps}){re.escape(SEPARATOR)}[^*_]+?)\1(?![\w*])"
    )
    return {match.group(2).strip() for match in pattern.finditer(text)}


def readme_sections(text, level_mark):
    """{title: body} of the sections of a reStructuredText text whose titles
    are underlined with ``level_mark``."""
    lines = text.splitlines()
    sections, title = {}, None
    for index, line in enumerate(lines):
        underlined = (
            index + 1 < len(lines)
            and lines[index + 1]
            and set(lines[index + 1]) == {level_mark}
            and len(lines[index + 1]) == len(line)
            and line.strip()
        )
        if underlined:
            title = line.strip()
            sections[title] = []
        elif title:
            sections[title].append(line)
    return {title: "\n".join(body) for title, body in sections.items()}


@tagged("post_install", "-at_install")
class TestReadme(TransactionCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root_readme = (ROOT / "README.rst").read_text()
        menus = (
            cls.env["ir.ui.menu"]
            .sudo()
            .with_context(**{"ir.ui.menu.full_list": True}, lang="en_US")
            .search([])
        )
        cls.menus = menus
        cls.french_names = cls._french_menu_names(menus)
        cls.paths = {"en": {}, "fr": {}}
        for menu in menus:
            chain = []
            node = menu
            while node:
                chain.insert(0, node)
                node = node.parent_id
            cls.paths["en"][SEPARATOR.join(m.name for m in chain)] = menu
            cls.paths["fr"][
                SEPARATOR.join(cls.french_names.get(m.id, m.name) for m in chain)
            ] = menu

    @classmethod
    def _french_menu_names(cls, menus):
        """{menu id: French name}, from the French translations of the
        module that declares each menu (the database may have no French)."""
        xmlids = menus.get_external_id()
        by_module = {}
        for menu in menus:
            if xmlids.get(menu.id):
                module, name = xmlids[menu.id].split(".", 1)
                by_module.setdefault(module, {})[name] = menu.id
        names = {}
        for module, menu_ids in by_module.items():
            module_path = get_module_path(module, display_warning=False)
            po_path = module_path and Path(module_path) / "i18n" / "fr.po"
            if not po_path or not po_path.exists():
                continue
            for entry in polib.pofile(str(po_path)):
                if not entry.msgstr:
                    continue
                for occurrence, _line in entry.occurrences:
                    prefix = f"model:ir.ui.menu,name:{module}."
                    if occurrence.startswith(prefix):
                        menu_id = menu_ids.get(occurrence[len(prefix) :])
                        if menu_id:
                            names[menu_id] = entry.msgstr
        return names

    def _assert_paths_exist(self, documents, lang):
        self.assertTrue(documents, "no document to check")
        wrong = {}
        for document in documents:
            paths = menu_paths(document, lang)
            unknown = sorted(path for path in paths if path not in self.paths[lang])
            if unknown:
                wrong[str(document.relative_to(ROOT))] = unknown
        self.assertEqual(wrong, {}, "menu paths that are no menu")

    def test_menu_paths_of_the_english_documents_exist(self):
        self._assert_paths_exist(english_documents(), "en")

    def test_menu_paths_of_the_french_guide_exist(self):
        self._assert_paths_exist(french_documents(), "fr")

    def test_the_two_guides_name_the_same_menus(self):
        """The English guide is the French one's translation."""
        english = {
            self.paths["en"][path]
            for document in sorted((ROOT / "docs" / "en").glob("*.md"))
            for path in menu_paths(document, "en")
            if path in self.paths["en"]
        }
        french = {
            self.paths["fr"][path]
            for document in french_documents()
            for path in menu_paths(document, "fr")
            if path in self.paths["fr"]
        }
        self.assertTrue(french)
        self.assertEqual(
            sorted(m.complete_name for m in english ^ french), [], "named in one only"
        )

    def test_every_menu_of_the_addons_is_in_the_root_readme(self):
        """Each menu that opens something, by its full path."""
        named = menu_paths(ROOT / "README.rst", "en")
        xmlids = self.menus.get_external_id()
        ours = {
            path
            for path, menu in self.paths["en"].items()
            if menu.action and xmlids.get(menu.id, "").split(".")[0] in ADDONS
        }
        self.assertTrue(ours)
        self.assertEqual(sorted(ours - named), [], "menus the README does not name")

    def test_models_listed_under_each_addon_are_its_own(self):
        features = readme_sections(self.root_readme, "=")["Features"]
        sections = readme_sections(features, "-")
        self.assertEqual(sorted(sections), sorted(f"``{a}``" for a in ADDONS))
        for title, body in sections.items():
            addon = title.strip("`")
            models = set(MODEL_LITERAL.findall(body))
            self.assertTrue(models, f"no model named under {addon}")
            for model in sorted(models):
                with self.subTest(addon=addon, model=model):
                    self.assertIn(model, self.env, f"{model} is no model")
                    modules = self.env["ir.model"]._get(model).modules.split(", ")
                    self.assertIn(addon, modules, f"{model} is not {addon}'s")

    def test_every_dependency_of_the_manifests_is_named(self):
        literals = set(re.findall(r"``([\w.]+)``", self.root_readme))
        for addon in ADDONS:
            manifest = ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())
            for depend in manifest["depends"]:
                with self.subTest(addon=addon, depend=depend):
                    self.assertIn(depend, literals)
        on_disk = {path.parent.name for path in ROOT.glob("*/__manifest__.py")}
        self.assertEqual(on_disk, set(ADDONS))

    def test_scheduled_actions_named_exist(self):
        crons = set(
            self.env["ir.cron"]
            .with_context(active_test=False, lang="en_US")
            .search([])
            .mapped("name")
        )
        text = " ".join(path.read_text() for path in english_documents())
        named = {
            match.group(2) for match in CRON_NAME.finditer(re.sub(r"\s+", " ", text))
        }
        self.assertTrue(named)
        self.assertEqual(sorted(named - crons), [], "scheduled actions that are none")

    def test_addon_readmes_are_generated_from_their_fragments(self):
        result = subprocess.run(
            [sys.executable, str(ROOT / "tasks.py"), "readme", "--check"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
