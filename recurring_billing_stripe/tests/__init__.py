from . import test_stripe_event
from . import test_stripe_charge
from . import test_stripe_webhook
from . import test_stripe_facturx
