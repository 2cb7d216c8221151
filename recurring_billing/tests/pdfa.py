# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A checker of PDF/A-3 (ISO 19005-3) conformance for the tests.

veraPDF, the reference validator, is a Java application distributed through
Maven Central and its own site; no package of PyPI or Debian ships it, and
this project's machines reach no other registry. This checker walks the
whole PDF with pypdf and applies the rules of ISO 19005-3 (level B) that a
generated invoice can break, with veraPDF's rule numbers:

* 6.1.2: header ``%PDF-1.n`` then a comment of at least four bytes > 127;
* 6.1.3: a file identifier (``/ID``) in the trailer, no ``/Encrypt``;
* 6.2.2, 6.2.3: an output intent ``/GTS_PDFA1`` whose ICC profile has 3
  components, and a single destination profile;
* 6.2.11.4: every font used by a page is embedded (``/FontFile*``), the
  descendant fonts of composite fonts included;
* 6.6.1, 6.1.13 (actions): no JavaScript, no ``/Launch`` actions, no
  additional actions on the catalogue;
* 6.6.2.1, 6.6.4: XMP metadata in the catalogue, well-formed, in an
  ``xpacket``, declaring ``pdfaid:part`` 3 and ``pdfaid:conformance`` A, B
  or U;
* 6.6.2.3: document information entries equivalent to their XMP
  counterparts (Title, Author, Creator, Producer);
* 6.8: each embedded file has ``/F`` and ``/UF``, an ``/AFRelationship``,
  a MIME ``/Subtype`` and ``/Params /ModDate``, and is listed in the
  catalogue's ``/AF``.

It does not parse content streams (colour spaces used without an output
intent, transparency groups) nor check glyph widths against font programs
(Odoo's ``convert_to_pdfa`` rewrites them).
"""

import io

from lxml import etree
from pypdf import PdfReader
from pypdf.generic import IndirectObject

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}


def _resolve(obj):
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _xmp_value(root, path):
    """Text of an XMP property, as an element or an attribute."""
    prefix, name = path.split(":")
    found = root.xpath(f"//{path}//text()", namespaces=NS)
    if found:
        return "".join(found).strip()
    found = root.xpath(f"//rdf:Description/@{prefix}:{name}", namespaces=NS)
    return found[0].strip() if found else None


def _check_header(pdf_bytes, errors):
    lines = pdf_bytes[:64].split(b"\n")
    if not (lines[0].startswith(b"%PDF-1.") and len(lines[0].rstrip(b"\r")) == 8):
        errors.append("6.1.2: the header is not %PDF-1.n")
    comment = lines[1] if len(lines) > 1 else b""
    if not (
        comment.startswith(b"%")
        and len(comment.rstrip(b"\r")) >= 5
        and all(byte > 127 for byte in comment[1:5])
    ):
        errors.append("6.1.2: no binary comment after the header")


def _check_metadata(catalog, info, errors):
    metadata = catalog.get("/Metadata")
    if metadata is None:
        errors.append("6.6.2.1: no XMP metadata in the catalogue")
        return
    data = _resolve(metadata).get_data()
    if b"<?xpacket begin=" not in data or b"<?xpacket end=" not in data:
        errors.append("6.6.2.1: the XMP metadata is not in an xpacket")
    start = data.find(b"<x:xmpmeta")
    end = data.rfind(b"</x:xmpmeta>")
    try:
        root = etree.fromstring(data[start : end + len(b"</x:xmpmeta>")])
    except etree.XMLSyntaxError as error:
        errors.append(f"6.6.2.1: the XMP metadata is not well-formed: {error}")
        return
    if _xmp_value(root, "pdfaid:part") != "3":
        errors.append("6.6.4: pdfaid:part is not 3")
    if _xmp_value(root, "pdfaid:conformance") not in ("A", "B", "U"):
        errors.append("6.6.4: no pdfaid:conformance A, B or U")
    for key, path in (
        ("/Title", "dc:title"),
        ("/Author", "dc:creator"),
        ("/Creator", "xmp:CreatorTool"),
        ("/Producer", "pdf:Producer"),
    ):
        if key in info and str(info[key]) != (_xmp_value(root, path) or ""):
            errors.append(
                f"6.6.2.3: {key} {str(info[key])!r} differs from {path} "
                f"{_xmp_value(root, path)!r}"
            )


def _check_output_intent(catalog, errors):
    intents = [_resolve(intent) for intent in catalog.get("/OutputIntents", [])]
    pdfa = [intent for intent in intents if intent.get("/S") == "/GTS_PDFA1"]
    if not pdfa:
        errors.append("6.2.2: no /GTS_PDFA1 output intent")
        return
    profiles = {
        getattr(intent.raw_get("/DestOutputProfile"), "idnum", id(intent))
        for intent in intents
        if "/DestOutputProfile" in intent
    }
    if len(profiles) > 1:
        errors.append("6.2.3: several destination output profiles")
    profile = _resolve(pdfa[0].get("/DestOutputProfile"))
    if profile is None or profile.get("/N") != 3:
        errors.append("6.2.3: the output intent's ICC profile is not RGB")


def _font_descriptors(font):
    font = _resolve(font)
    if font.get("/Subtype") == "/Type0":
        for descendant in font.get("/DescendantFonts", []):
            yield from _font_descriptors(descendant)
    elif font.get("/Subtype") != "/Type3":
        yield font.get("/BaseFont"), _resolve(font.get("/FontDescriptor"))


def _check_fonts(reader, errors):
    for number, page in enumerate(reader.pages, 1):
        resources = _resolve(page.get("/Resources")) or {}
        fonts = _resolve(resources.get("/Font")) or {}
        for font in fonts.values():
            for name, descriptor in _font_descriptors(font):
                if descriptor is None or not any(
                    key in descriptor
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    errors.append(
                        f"6.2.11.4: font {name} of page {number} not embedded"
                    )


def _check_actions(catalog, errors):
    if "/AA" in catalog:
        errors.append("6.6.1: additional actions on the catalogue")
    names = _resolve(catalog.get("/Names")) or {}
    if "/JavaScript" in names:
        errors.append("6.6.1: JavaScript")
    open_action = _resolve(catalog.get("/OpenAction"))
    if isinstance(open_action, dict) and open_action.get("/S") in (
        "/Launch",
        "/JavaScript",
    ):
        errors.append("6.6.1: a forbidden open action")


def _check_embedded_files(catalog, errors):
    names = _resolve(catalog.get("/Names")) or {}
    tree = _resolve(names.get("/EmbeddedFiles")) or {}
    flat = list(tree.get("/Names", []))
    specs = [_resolve(flat[i + 1]) for i in range(0, len(flat), 2)]
    associated = {
        ref.idnum for ref in _resolve(catalog.get("/AF")) or [] if hasattr(ref, "idnum")
    }
    for index in range(1, len(flat), 2):
        spec = specs[index // 2]
        name = str(spec.get("/UF") or spec.get("/F"))
        if "/F" not in spec or "/UF" not in spec:
            errors.append(f"6.8: {name} lacks /F or /UF")
        if "/AFRelationship" not in spec:
            errors.append(f"6.8: {name} has no /AFRelationship")
        reference = flat[index]
        if hasattr(reference, "idnum") and reference.idnum not in associated:
            errors.append(f"6.8: {name} is not in the catalogue's /AF")
        stream = _resolve(_resolve(spec.get("/EF", {})).get("/F"))
        if stream is None:
            errors.append(f"6.8: {name} has no embedded stream")
            continue
        if "/Subtype" not in stream:
            errors.append(f"6.8: {name} has no MIME type")
        if "/ModDate" not in (_resolve(stream.get("/Params")) or {}):
            errors.append(f"6.8: {name} has no modification date")


def pdfa3_errors(pdf_bytes):
    """What breaks ISO 19005-3 in ``pdf_bytes``, as messages (empty if
    nothing this checker checks does)."""
    errors = []
    _check_header(pdf_bytes, errors)
    reader = PdfReader(io.BytesIO(pdf_bytes))
    trailer = reader.trailer
    if "/Encrypt" in trailer:
        errors.append("6.1.3: the file is encrypted")
    pdf_id = trailer.get("/ID")
    if not pdf_id or len(pdf_id) != 2:
        errors.append("6.1.3: no file identifier in the trailer")
    catalog = _resolve(trailer["/Root"])
    info = _resolve(trailer.get("/Info")) or {}
    _check_metadata(catalog, info, errors)
    _check_output_intent(catalog, errors)
    _check_fonts(reader, errors)
    _check_actions(catalog, errors)
    _check_embedded_files(catalog, errors)
    return errors
