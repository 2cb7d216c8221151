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
rendered invoice for a PDF/A and left it a plain PDF. :class:`PdfaWriter`
asks what a PDF/A declares instead: its XMP metadata's PDF/A identification
(``pdfaid:part``, ISO 19005-3, 6.6.4).

``convert_to_pdfa`` also expects the document outline that the wkhtmltopdf
builds with patched Qt write, and fails half-way without it (Debian's
build writes none): an empty outline is added first. And the header it
sets, ``%PDF-1.7`` and an end of line, gets a second end of line from
PyPDF2 2 and pypdf, which write their own before the binary comment: ISO
19005-3 (6.1.2) wants a single one.

Odoo's class is left as it is: ``account_edi_ubl_cii``'s sending is pointed at
:class:`PdfaWriter`, which behaves as Odoo's writer except while
:func:`pdfa_declared` is active, that is while a database with this module
sends an invoice. Other databases of the same server, and every other use of
Odoo's writer, are untouched.
"""

import io
from contextlib import contextmanager
from contextvars import ContextVar

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


_PDFA_DECLARED = ContextVar("recurring_billing_pdfa_declared", default=False)


@contextmanager
def pdfa_declared():
    """Within it, :class:`PdfaWriter` detects and converts PDF/A as the ISO
    standard says."""
    token = _PDFA_DECLARED.set(True)
    try:
        yield
    finally:
        _PDFA_DECLARED.reset(token)


class PdfaWriter(OdooPdfFileWriter):
    """Odoo's PDF writer; within :func:`pdfa_declared`, a PDF/A is one that
    declares itself so, and the conversion adds the outline it needs and
    writes a single end of line after the header."""

    def cloneReaderDocumentRoot(self, reader):
        super().cloneReaderDocumentRoot(reader)
        if _PDFA_DECLARED.get():
            self.is_pdfa = declares_pdfa(reader)
            _single_eol_header(self)

    def convert_to_pdfa(self):
        declared = _PDFA_DECLARED.get()
        if declared and "/Outlines" not in self._root_object:
            outlines = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Outlines"),
                    NameObject("/Count"): NumberObject(0),
                }
            )
            self._root_object[NameObject("/Outlines")] = self._addObject(outlines)
        super().convert_to_pdfa()
        if declared:
            _single_eol_header(self)


def use_pdfa_writer():
    """Point ``account_edi_ubl_cii``'s sending at :class:`PdfaWriter`.
    Idempotent."""
    from odoo.addons.account_edi_ubl_cii.models import account_move_send

    account_move_send.OdooPdfFileWriter = PdfaWriter


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
    writer = PdfaWriter()
    with pdfa_declared():
        writer.cloneReaderDocumentRoot(reader)
    if not has_xml:
        writer.addAttachment(FACTURX_FILENAME, xml_bytes, subtype="text/xml")
    if not writer.is_pdfa:
        with pdfa_declared():
            writer.convert_to_pdfa()
        writer.add_file_metadata(xmp_metadata)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
