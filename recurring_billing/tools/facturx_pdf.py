# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Factur-X PDF/A-3 from a rendered invoice PDF and its CII XML, free of any
ORM access, with the ``factur-x`` library (which embeds the XML with its
/AF relationship and writes the Factur-X XMP metadata) and ``pypdf``."""

import io

from facturx import generate_from_binary
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    create_string_object,
)


def _add_output_intent(pdf_bytes, icc_profile):
    """PDF/A requires an output intent: the sRGB profile Odoo ships."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    if "/OutputIntents" not in writer.root_object:
        profile = DecodedStreamObject()
        profile.set_data(icc_profile)
        profile[NameObject("/N")] = NumberObject(3)
        intent = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/OutputIntent"),
                NameObject("/S"): NameObject("/GTS_PDFA1"),
                NameObject("/OutputConditionIdentifier"): create_string_object("sRGB"),
                NameObject("/DestOutputProfile"): writer._add_object(profile),
            }
        )
        writer.root_object[NameObject("/OutputIntents")] = ArrayObject(
            [writer._add_object(intent)]
        )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_facturx_pdf(pdf_bytes, xml_bytes, icc_profile, metadata=None):
    """The PDF/A-3 Factur-X (EN 16931 profile) of ``pdf_bytes`` with
    ``xml_bytes`` embedded as ``factur-x.xml``.

    :param bytes icc_profile: an RGB ICC profile for the output intent
    :param dict metadata: ``author``, ``keywords``, ``title``, ``subject``
    """
    pdf_bytes = _add_output_intent(pdf_bytes, icc_profile)
    return generate_from_binary(
        pdf_bytes,
        xml_bytes,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,
        pdf_metadata=metadata,
    )
