# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Factur-X PDF/A-3 with Odoo's own PDF writer (``odoo.tools.pdf``).

Odoo (``account_edi_ubl_cii``'s ``account.move.send``) embeds the Factur-X
XML in the invoice PDF and turns the PDF into a PDF/A-3
(``OdooPdfFileWriter.convert_to_pdfa`` and ``add_file_metadata``) unless it
takes the PDF for a PDF/A already. Its test for that
(``OdooPdfFileWriter.cloneReaderDocumentRoot``) looks at the second line of
the file: a ``%`` followed by four bytes. That is the binary comment that
every PDF writer, wkhtmltopdf included, puts there, so Odoo took every
rendered invoice for a PDF/A and left it a plain PDF. :func:`fix_pdfa_detection`
makes the test ask what a PDF/A declares: its XMP metadata's PDF/A
identification (``pdfaid:part``, ISO 19005-3, 6.6.4).

``convert_to_pdfa`` also expects the document outline that the wkhtmltopdf
builds with patched Qt write, and fails half-way without it (Debian's
build writes none): an empty outline is added first. And the header it
sets, ``%PDF-1.7`` and an end of line, gets a second end of line from
PyPDF2 2 and pypdf, which write their own before the binary comment: ISO
19005-3 (6.1.2) wants a single one.
"""

import io

from odoo.tools import pdf as odoo_pdf
from odoo.tools.pdf import (
    DictionaryObject,
    NameObject,
    NumberObject,
    OdooPdfFileReader,
    OdooPdfFileWriter,
)

FACTURX_FILENAME = "factur-x.xml"


def declares_pdfa(reader):
    """Whether the PDF read by ``reader`` declares a PDF/A part in its XMP
    metadata (``pdfaid:part``, as an element or as an attribute)."""
    try:
        metadata = reader.trailer["/Root"].get("/Metadata")
        if metadata is None:
            return False
        data = metadata.get_object().get_data()
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return b"pdfaid:part" in data


def _single_eol_header(writer):
    """The writer's header without the end of line that the PDF libraries
    after PyPDF2 1 add themselves."""
    header = getattr(writer, "_header", None)
    if odoo_pdf.submod != "._pypdf2_1" and isinstance(header, bytes):
        writer._header = header.rstrip(b"\r\n")


def fix_pdfa_detection():
    """Make ``OdooPdfFileWriter.is_pdfa`` true only for a PDF that declares
    itself a PDF/A. Idempotent."""
    clone = OdooPdfFileWriter.cloneReaderDocumentRoot
    if getattr(clone, "_declares_pdfa", False):
        return

    convert = OdooPdfFileWriter.convert_to_pdfa

    def cloneReaderDocumentRoot(self, reader):
        clone(self, reader)
        self.is_pdfa = declares_pdfa(reader)
        _single_eol_header(self)

    def convert_to_pdfa(self):
        if "/Outlines" not in self._root_object:
            outlines = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Outlines"),
                    NameObject("/Count"): NumberObject(0),
                }
            )
            self._root_object[NameObject("/Outlines")] = self._addObject(outlines)
        convert(self)
        _single_eol_header(self)

    cloneReaderDocumentRoot._declares_pdfa = True
    OdooPdfFileWriter.cloneReaderDocumentRoot = cloneReaderDocumentRoot
    OdooPdfFileWriter.convert_to_pdfa = convert_to_pdfa


def embedded_file_names(pdf_bytes):
    """Names of the files embedded in a PDF."""
    reader = OdooPdfFileReader(io.BytesIO(pdf_bytes), strict=False)
    return [name for name, _content in reader.getAttachments()]


def is_pdfa(pdf_bytes):
    return declares_pdfa(OdooPdfFileReader(io.BytesIO(pdf_bytes), strict=False))


def make_facturx_pdfa(pdf_bytes, xml_bytes, xmp_metadata):
    """``pdf_bytes`` as a Factur-X PDF/A-3, the way Odoo's sending builds it:
    ``xml_bytes`` embedded as ``factur-x.xml`` (unless it is already),
    ``convert_to_pdfa`` (output intent, file identifier, font widths) and
    the Factur-X XMP metadata ``xmp_metadata``.

    :param bytes xmp_metadata: Odoo's
        ``account_edi_ubl_cii.account_invoice_pdfa_3_facturx_metadata``
    """
    reader = OdooPdfFileReader(io.BytesIO(pdf_bytes), strict=False)
    has_xml = FACTURX_FILENAME in [name for name, _c in reader.getAttachments()]
    writer = OdooPdfFileWriter()
    writer.cloneReaderDocumentRoot(reader)
    if not has_xml:
        writer.addAttachment(FACTURX_FILENAME, xml_bytes, subtype="text/xml")
    if not writer.is_pdfa:
        writer.convert_to_pdfa()
        writer.add_file_metadata(xmp_metadata)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
