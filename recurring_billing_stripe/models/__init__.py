from . import payment_provider
from . import payment_token
from . import payment_transaction
from . import recurring_stripe_event
from . import account_move
from . import account_edi_xml_cii
from . import recurring_payment_charge
