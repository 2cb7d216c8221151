from . import report_formal_notice
